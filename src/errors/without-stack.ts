/**
 * Errors made without a stack trace (internal: not exported by the package).
 *
 * Theory of operation. V8 captures a stack when an Error is constructed,
 * which costs several microseconds, more than the rest of such an error.
 * For an error made inside the reactor's read handler from a server message
 * that stack lists only the driver's own frames (socket, session,
 * collector), never the caller's: W11 (cancel) built two such errors per
 * cancel on its ErrorResponse-to-rejection path. Errors made at a caller's
 * request (a cancel, a bad argument) keep their stack: there it shows who
 * asked.
 */

/**
 * Builds an error with `make` without capturing a stack trace (see the file
 * comment). The error keeps its name, message, `code`, `cause` and fields;
 * its `stack` is the `Name: message` line.
 */
export function withoutStack<E>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return make(); // frozen intrinsics (a hardened realm): the stack is captured after all
  }
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
