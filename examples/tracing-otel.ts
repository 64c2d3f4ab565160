/**
 * Tracing: turning the driver's `node:diagnostics_channel` events into
 * OpenTelemetry-style spans, one span per query.
 *
 * `@opentelemetry/api` is not a dependency of tspostgres, so this example
 * writes against a tiny local interface shaped like OpenTelemetry's
 * (`tracer.startSpan(name, { attributes })`, `span.setAttribute`,
 * `span.recordException`, `span.setStatus`, `span.end`). With the real API,
 * replace `consoleTracer` by `trace.getTracer('tspostgres')`; the
 * subscribers do not change.
 *
 * Run: DATABASE_URL=postgres://user@127.0.0.1:5432/db node -r ./scripts/register-ts.js examples/tracing-otel.ts
 */
import * as dc from 'node:diagnostics_channel';
import { Connection, ConnectionPool, TRACING_CHANNELS } from '../src/index';
import type { ConnectionStateEvent, PoolAcquireEvent, QueryEndEvent, QueryErrorEvent, QueryStartEvent } from '../src/index';

/** The part of OpenTelemetry's Span this example uses. */
interface Span {
  setAttribute(key: string, value: string | number): void;
  recordException(error: Error): void;
  setStatus(status: { code: 1 | 2; message?: string }): void; // 1 OK, 2 ERROR, as SpanStatusCode
  end(): void;
}

/** The part of OpenTelemetry's Tracer this example uses. */
interface Tracer {
  startSpan(name: string, options: { attributes: Record<string, string | number> }): Span;
}

/** A tracer that prints each span when it ends (stands in for an exporter). */
const consoleTracer: Tracer = {
  startSpan(name, { attributes }) {
    const attrs: Record<string, string | number> = { ...attributes };
    let status = 'unset';
    return {
      setAttribute: (k, v) => void (attrs[k] = v),
      recordException: (e) => void (attrs['exception.message'] = e.message),
      setStatus: (s) => void (status = s.code === 2 ? 'error' : 'ok'),
      end: () => console.log(`tracing: span ${name} ${status} ${JSON.stringify(attrs)}`),
    };
  },
};

/** Subscribes spans for queries (semantic-convention attribute names) and logs states and pool hand-overs. */
function instrument(tracer: Tracer): () => void {
  const open = new Map<number, Span>();
  const onStart = (m: unknown): void => {
    const e = m as QueryStartEvent;
    const attributes: Record<string, string | number> = { 'db.system': 'postgresql', 'db.statement': e.sql };
    if (e.host !== undefined) attributes['server.address'] = e.host;
    if (e.port !== undefined) attributes['server.port'] = e.port;
    if (e.database !== undefined) attributes['db.name'] = e.database;
    open.set(e.id, tracer.startSpan(e.sql.split(/\s+/)[0].toUpperCase(), { attributes }));
  };
  const onEnd = (m: unknown): void => {
    const e = m as QueryEndEvent;
    const span = open.get(e.id);
    open.delete(e.id);
    span?.setAttribute('db.rows', e.rowCount);
    span?.setStatus({ code: 1 });
    span?.end();
  };
  const onError = (m: unknown): void => {
    const e = m as QueryErrorEvent;
    const span = open.get(e.id);
    open.delete(e.id);
    span?.recordException(e.error);
    span?.setStatus({ code: 2, message: e.error.message });
    span?.end();
  };
  const onState = (m: unknown): void => {
    const e = m as ConnectionStateEvent;
    console.log(`tracing: connection ${e.connectionId} ${e.previous} -> ${e.state}`);
  };
  const onAcquire = (m: unknown): void => console.log(`tracing: pool handed out a connection (pool size ${(m as PoolAcquireEvent).size})`);
  const subs: Array<[string, (m: unknown) => void]> = [
    [TRACING_CHANNELS.queryStart, onStart], [TRACING_CHANNELS.queryEnd, onEnd], [TRACING_CHANNELS.queryError, onError],
    [TRACING_CHANNELS.connectionState, onState], [TRACING_CHANNELS.poolAcquire, onAcquire],
  ];
  for (const [name, fn] of subs) dc.subscribe(name, fn);
  return () => subs.forEach(([name, fn]) => dc.unsubscribe(name, fn));
}

async function main(): Promise<void> {
  const stop = instrument(consoleTracer);
  const url = process.env.DATABASE_URL ?? '';
  const conn = new Connection();
  await conn.connect(url);
  try {
    await conn.runQuery('SELECT $1::int + 1 AS n', [41]);
    await conn.runQuery('SELECT 1/0').then(undefined, (e: Error) => console.log(`tracing: the failing query failed: ${e.message}`));
  } finally {
    conn.close();
  }
  const pool = new ConnectionPool({ min: 1, max: 1, connect: url });
  await pool.start();
  try {
    await pool.withConnection((c) => c.runQuery('SELECT 2 AS n'));
  } finally {
    await pool.close();
    stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
