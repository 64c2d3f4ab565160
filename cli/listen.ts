/**
 * `tspostgres listen CHANNEL...`: prints notifications until SIGINT/SIGTERM.
 *
 * Theory of operation. One Connection with a DeadConnectionDetector (and a
 * heartbeat, so a stalled link or frozen server is found too) LISTENs on
 * every channel through the Observable `listen()`. Each notification is a
 * JSON line on stdout: `{"channel","payload","pid"}`. Everything else is a
 * JSON line on stderr, so stdout stays machine-readable: `listening` when
 * the server confirmed LISTEN (again after each recovery), `state` on every
 * connection state change (with the reason's code and message, scrubbed of
 * passwords), and `gap` when notifications may have been missed during an
 * outage (`from`/`to` in reactor milliseconds). The detector reconnects by
 * itself and re-LISTENs. The abort signal (SIGINT/SIGTERM) closes the
 * connection and exits 0; a channel that cannot be LISTENed exits 1.
 */
import type { Subscription } from 'rxjs';
import { DeadConnectionDetector, Notification, NotificationGap, type Connection, type StateChange } from '../src/index';
import { CONNECT_OPTIONS, parseCommand, parseMs } from './args';
import { CliUsageError, EXIT_OK, scrub, type CliIo } from './io';
import { connectTo, resolveTarget } from './target';

/** The `--help` text of `listen`. */
export const LISTEN_USAGE = `Usage: tspostgres listen [options] CHANNEL...

Prints each notification on the CHANNELs as a JSON line on stdout:
{"channel":...,"payload":...,"pid":...}. Connection state changes, LISTEN
confirmations and gaps (notifications possibly missed while reconnecting) are
JSON lines on stderr. Reconnects by itself; SIGINT or SIGTERM exits with 0.

  --heartbeat-interval MS    probe the idle connection this often (default 5000)
  --heartbeat-timeout MS     a probe unanswered this long is a dead link (default 2000)
  --dsn DSN                  connection string (default: DATABASE_URL, else PG* variables and pgpass)
  -h, --help                 show this text
`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  'heartbeat-interval': { type: 'string' },
  'heartbeat-timeout': { type: 'string' },
} as const;

/** Runs `listen` until `io.signal` aborts; resolves with the exit code. */
export async function listenCommand(args: readonly string[], io: CliIo, secrets: string[] = []): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS);
  if (values.help) {
    io.stdout.write(LISTEN_USAGE);
    return EXIT_OK;
  }
  if (positionals.length === 0 || positionals.some((c) => c === '')) throw new CliUsageError('listen: at least one CHANNEL is required (see --help)');
  const heartbeat = {
    intervalMs: parseMs(values['heartbeat-interval'], '--heartbeat-interval', 5000),
    timeoutMs: parseMs(values['heartbeat-timeout'], '--heartbeat-timeout', 2000),
  };
  const target = resolveTarget(values.dsn, io);
  secrets.push(...target.secrets);
  const event = (fields: Record<string, unknown>): void => void io.stderr.write(`${scrub(JSON.stringify(fields), secrets)}\n`);
  const conn = await connectTo(target, io, { detector: new DeadConnectionDetector({ heartbeat }) });
  return runUntilStopped(conn, [...new Set(positionals)], io, event);
}

/** Subscribes, then waits for the abort signal (exit 0) or a listen error (rejects). */
function runUntilStopped(conn: Connection, channels: string[], io: CliIo, event: (f: Record<string, unknown>) => void): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const subs: Subscription[] = [conn.stateChanges$.subscribe((c) => event(stateEvent(c)))];
    const finish = (error: unknown): void => {
      io.signal?.removeEventListener('abort', stop);
      for (const s of subs) s.unsubscribe();
      conn.close();
      if (error === null) resolve(EXIT_OK);
      else reject(error);
    };
    const stop = (): void => finish(null);
    for (const channel of channels) {
      const onListen = (ch: string): void => event({ event: 'listening', channel: ch });
      subs.push(conn.listen(channel, { onListen }).subscribe({
        next: (n) => print(n, io, event),
        error: (e: unknown) => finish(e),
      }));
    }
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
}

function print(n: Notification | NotificationGap, io: CliIo, event: (f: Record<string, unknown>) => void): void {
  if (n instanceof NotificationGap) event({ event: 'gap', channel: n.channel, from: n.from, to: n.to });
  else if (n instanceof Notification) io.stdout.write(`${JSON.stringify({ channel: n.channel, payload: n.payload, pid: n.pid })}\n`);
}

function stateEvent(change: StateChange): Record<string, unknown> {
  const reason = change.reason;
  if (reason === undefined) return { event: 'state', state: change.state };
  return { event: 'state', state: change.state, code: (reason as { code?: unknown }).code, error: reason.message };
}
