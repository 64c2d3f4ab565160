/** withoutStack: an error made without stack frames keeps everything else, and the stack limit is restored. */
import { CancelledError } from '../../src/errors';
import * as errors from '../../src/errors';
import { withoutStack } from '../../src/errors/without-stack';

describe('withoutStack', () => {
  it('makes the error without stack frames, keeping its name, message, code and cause', () => {
    const cause = new Error('server said no');
    const err = withoutStack(() => new CancelledError('the query was cancelled', { serverCancelled: true, cause }));
    expect(err.stack).toBe('CancelledError: the query was cancelled');
    expect(err).toMatchObject({ name: 'CancelledError', code: 'ERR_CANCELLED', serverCancelled: true, message: 'the query was cancelled' });
    expect(err.cause).toBe(cause);
    expect(new CancelledError().stack).toMatch(/\n\s+at /); // others keep theirs
  });

  it('restores Error.stackTraceLimit, also when making the error throws', () => {
    const limit = Error.stackTraceLimit;
    expect(() => withoutStack(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(Error.stackTraceLimit).toBe(limit);
    withoutStack(() => new Error('x'));
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

it('is not part of the package API', () => {
  expect('withoutStack' in errors).toBe(false);
});
