/**
 * `tspostgres replicate --slot S --publication P`: a publication's changes
 * as JSON lines until SIGINT/SIGTERM.
 *
 * Theory of operation. A ReplicationConnection (with a
 * DeadConnectionDetector: it reconnects and resumes by itself) streams the
 * slot through the `pgoutput` plugin (protocol 1) for the publication; a
 * PgoutputDecoder turns each message into a typed change. Inserts,
 * updates, deletes and truncates are JSON lines on stdout:
 * `{"lsn","xid","commitLsn","op","table","new","old"}` (values as `query`
 * prints them in JSON: bigints and dates as strings, bytea as `\x` hex). A
 * message is acknowledged only after its line was written: when stdout is
 * a stream with a write callback (a process's stdout), after that callback.
 * The next message waits for the acknowledgement, so a slow reader of
 * stdout holds the server back instead of filling memory. Everything else
 * is a JSON line on stderr: `slot-created`/`slot-exists`, `state` on each
 * stream state change, `gap` after each outage the stream resumed from.
 * The abort signal (SIGINT/SIGTERM) stops the stream (a last status update
 * reports what was acknowledged) and exits 0; a stream that fails exits 1.
 */
import {
  DatabaseError, DeadConnectionDetector, PgoutputDecoder, ReplicationConnection, formatLsn, parseLsn,
  type PgoutputMessage, type ReplicationMessage, type ReplicationStream,
} from '../src/index';
import { CONNECT_OPTIONS, parseCommand } from './args';
import { toJson } from './format';
import { CliUsageError, EXIT_OK, scrub, type CliIo, type TextSink } from './io';
import { resolveTarget } from './target';

/** The `--help` text of `replicate`. */
export const REPLICATE_USAGE = `Usage: tspostgres replicate --slot SLOT --publication PUB [options]

Streams the changes of the publication PUB from the logical replication slot
SLOT (plugin pgoutput) and prints each insert, update, delete and truncate
as a JSON line on stdout:
{"lsn":...,"xid":...,"commitLsn":...,"op":...,"table":...,"new":{...},"old":{...}}
Each change is acknowledged to the server only after its line was written.
Slot events, stream state changes and gaps (outages the stream resumed from)
are JSON lines on stderr. Reconnects and resumes by itself; SIGINT or
SIGTERM stops the stream and exits with 0.

  --slot SLOT          the replication slot (required)
  --publication PUB    the publication (required; several: comma-separated)
  --create-slot        create the slot (pgoutput) first; an existing one is used
  --temporary          with --create-slot: a temporary slot, dropped on exit
  --start-lsn LSN      start at this position (e.g. 16/B374D848) instead of the
                       slot's confirmed position
  --dsn DSN            connection string (default: DATABASE_URL, else PG*
                       variables and pgpass); the user needs REPLICATION
  -h, --help           show this text

Exit codes: 0 stopped by SIGINT/SIGTERM, 1 a runtime or database error
(e.g. no such slot), 2 a usage error.
`;

const OPTIONS = {
  ...CONNECT_OPTIONS,
  slot: { type: 'string' },
  publication: { type: 'string' },
  'create-slot': { type: 'boolean' },
  temporary: { type: 'boolean' },
  'start-lsn': { type: 'string' },
} as const;

/** SQLSTATE 42710 duplicate_object: the slot exists already. */
const DUPLICATE_OBJECT = '42710';

/** Runs `replicate` until `io.signal` aborts; resolves with the exit code. */
export async function replicateCommand(args: readonly string[], io: CliIo, secrets: string[] = []): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS);
  if (values.help) {
    io.stdout.write(REPLICATE_USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new CliUsageError('replicate takes no arguments, only options (see --help)');
  if (!values.slot) throw new CliUsageError('replicate: --slot is required (see --help)');
  if (!values.publication) throw new CliUsageError('replicate: --publication is required (see --help)');
  if (values.temporary && !values['create-slot']) throw new CliUsageError('replicate: --temporary needs --create-slot');
  const startLsn = lsnOption(values['start-lsn']);
  const target = resolveTarget(values.dsn, io);
  secrets.push(...target.secrets);
  const event = (fields: Record<string, unknown>): void => void io.stderr.write(`${scrub(JSON.stringify(fields), secrets)}\n`);

  const repl = new ReplicationConnection({ detector: new DeadConnectionDetector(), env: { ...io.env } });
  try {
    await repl.connect(target.input);
    if (values['create-slot']) await createSlot(repl, values.slot, values.temporary === true, event);
  } catch (error) {
    repl.close(); // stops the detector from trying again
    throw error;
  }
  const stream = repl.startReplication({
    slot: values.slot, plugin: 'pgoutput', startLsn, options: { proto_version: 1, publication_names: values.publication },
  });
  return runUntilStopped(repl, stream, io, event);
}

function lsnOption(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  try {
    return parseLsn(text);
  } catch {
    throw new CliUsageError('--start-lsn: expected a position such as 16/B374D848');
  }
}

async function createSlot(repl: ReplicationConnection, slot: string, temporary: boolean, event: (f: Record<string, unknown>) => void): Promise<void> {
  try {
    const created = await repl.createReplicationSlot(slot, { plugin: 'pgoutput', temporary, snapshot: 'nothing' });
    event({ event: 'slot-created', slot, consistentPoint: formatLsn(created.consistentPoint), temporary });
  } catch (error) {
    if (!(error instanceof DatabaseError && error.code === DUPLICATE_OBJECT) || temporary) throw error;
    event({ event: 'slot-exists', slot });
  }
}

/** Consumes the stream until the abort signal (exit 0) or the stream's failure (rejects). */
function runUntilStopped(repl: ReplicationConnection, stream: ReplicationStream, io: CliIo, event: (f: Record<string, unknown>) => void): Promise<number> {
  const states = stream.state$.subscribe((state) => event({ event: 'state', state }));
  const gaps = stream.gaps$.subscribe((g) => event({
    event: 'gap', from: g.from, to: g.to, resumeLsn: formatLsn(g.resumeLsn), code: (g.error as { code?: unknown }).code, error: g.error.message,
  }));
  const decoder = new PgoutputDecoder(repl.types, { protoVersion: 1 });
  const lines = new ChangeLines();
  const consume = async (m: ReplicationMessage): Promise<void> => {
    const line = lines.line(decoder.decode(m.bytes, m.dataStart));
    if (line !== null) await writeLine(io.stdout, `${JSON.stringify(line)}\n`);
    m.ack(); // only after the line was written
  };
  const stop = (): void => void stream.stop();
  if (io.signal?.aborted) stop();
  else io.signal?.addEventListener('abort', stop, { once: true });
  const finish = (): void => {
    io.signal?.removeEventListener('abort', stop);
    states.unsubscribe();
    gaps.unsubscribe();
    repl.close();
  };
  return Promise.resolve(stream.consumeStream(consume)).then(
    () => {
      finish();
      return EXIT_OK;
    },
    (error: unknown) => {
      finish();
      throw error;
    },
  );
}

/**
 * Writes `text`; resolves once it was written: after the write callback
 * when the sink takes one (a Node stream's `write(chunk, cb)`), at once
 * for a sink without (a test's buffer).
 */
export function writeLine(sink: TextSink, text: string): Promise<void> {
  const write = sink.write as (text: string, cb?: (error?: Error | null) => void) => unknown;
  if (write.length < 2) {
    sink.write(text);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    write.call(sink, text, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

/** One change line: the fields printed on stdout. */
export interface ChangeLine {
  lsn: string;
  xid: number | null;
  commitLsn: string | null;
  op: 'insert' | 'update' | 'delete' | 'truncate';
  table: string | string[];
  new?: unknown;
  old?: unknown;
}

/** pgoutput messages to change lines (null for Begin, Commit, Relation, ...); keeps the open transaction's xid. */
export class ChangeLines {
  private xid: number | null = null;
  private commitLsn: string | null = null;

  line(m: PgoutputMessage): ChangeLine | null {
    const base = { lsn: formatLsn(m.lsn), xid: this.xid, commitLsn: this.commitLsn };
    const table = (r: { namespace: string; name: string }): string => `${r.namespace}.${r.name}`;
    switch (m.tag) {
      case 'begin':
        [this.xid, this.commitLsn] = [m.xid, formatLsn(m.finalLsn)];
        return null;
      case 'commit':
        [this.xid, this.commitLsn] = [null, null];
        return null;
      case 'insert':
        return { ...base, op: 'insert', table: table(m.relation), new: toJson(m.new) };
      case 'update':
        return { ...base, op: 'update', table: table(m.relation), old: toJson(m.old), new: toJson(m.new) };
      case 'delete':
        return { ...base, op: 'delete', table: table(m.relation), old: toJson(m.old) };
      case 'truncate':
        return { ...base, op: 'truncate', table: m.relations.map(table) };
      default:
        return null;
    }
  }
}
