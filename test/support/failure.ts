/** The error `p` fails with; a success is itself a test failure. */
export function failure(p: PromiseLike<unknown>): Promise<Error> {
  return Promise.resolve(p).then(
    () => {
      throw new Error('expected a failure, got success');
    },
    (e: unknown) => e as Error,
  );
}
