/**
 * Guarding handler calls: the rules every transport shares.
 *
 * Theory of operation. A transport calls its {@link TransportHandler} from
 * the reactor and must keep three promises whatever the handler does: a
 * handler that throws loses its connection with the thrown error (as an
 * Error); a peer's FIN goes to `eofReceived` when the handler has one, else
 * our side closes too; and `startTls` is refused, never thrown, on a
 * transport that already started TLS or is not open. NodeTransport,
 * WsTransport and MemoryTransport each keep their own state, and use these
 * helpers for the rules themselves.
 */
import type { TransportHandler } from './interfaces';
import { TlsError } from './errors';

/** The thrown value as an Error (a non-Error is wrapped, its text as the message). */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** Runs a handler method; when it throws, calls `lose` with the thrown value as an Error. */
export function guard(fn: () => void, lose: (error: Error) => void): void {
  try {
    fn();
  } catch (thrown) {
    lose(asError(thrown));
  }
}

/**
 * The peer half-closed: calls `handler.eofReceived` (guarded by `lose`) when
 * the handler has one, else `close()`s our side too.
 */
export function deliverEof(handler: TransportHandler, lose: (error: Error) => void, close: () => void): void {
  if (handler.eofReceived) guard(() => handler.eofReceived?.(), lose);
  else close();
}

/** Why `startTls` cannot start now (a TlsError to reject with), or undefined when it can. */
export function tlsRefusal(state: { started: boolean; open: boolean }): TlsError | undefined {
  if (state.started) return new TlsError('TLS was already started on this transport');
  if (!state.open) return new TlsError('cannot start TLS on a transport that is not open');
  return undefined;
}
