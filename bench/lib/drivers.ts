/**
 * The three drivers behind one small interface, so every workload runs the
 * same code for tspostgres, node-postgres (`pg`) and postgres.js.
 *
 * Theory of operation. A {@link BenchDriver} opens a {@link BenchClient}: one
 * connection (postgres.js with `max: 1`). `query` runs one parameterised
 * statement through the extended protocol with a prepared statement for every
 * driver (pg gets a `name`, postgres.js `prepare: true`, ours its statement
 * cache) and resolves with the rows as objects. Concurrent `query` calls on
 * one client are each driver's own behaviour: ours pipelines, pg queues,
 * postgres.js pipelines on its single connection.
 */
import { Client } from 'pg';
import postgres from 'postgres';
import { Connection } from '../../src/index';

/** One connection of a driver. */
export interface BenchClient {
  /** Runs one statement; resolves with its rows. */
  query(sql: string, params?: readonly unknown[]): Promise<readonly unknown[]>;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** The names the report uses. */
export type DriverName = 'tspostgres' | 'pg' | 'postgres.js';

/** Opens clients of one driver. */
export interface BenchDriver {
  readonly name: DriverName;
  connect(url: string): Promise<BenchClient>;
}

/** tspostgres: `new Connection()`, `connect(url)`, `runQuery`. */
export const ours: BenchDriver = {
  name: 'tspostgres',
  async connect(url) {
    const conn = new Connection();
    await conn.connect(url);
    return {
      query: (sql, params = []) => conn.runQuery(sql, params) as PromiseLike<unknown[]> as Promise<unknown[]>,
      close: async () => conn.close(),
    };
  },
};

const statementNames = new Map<string, string>();

/** A stable prepared-statement name per SQL text (pg prepares only named queries). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) statementNames.set(sql, (name = `bench_${statementNames.size}`));
  return name;
}

/** node-postgres: one `Client`, named (prepared) queries. */
export const pg: BenchDriver = {
  name: 'pg',
  async connect(url) {
    const client = new Client({ connectionString: url });
    await client.connect();
    return {
      query: async (sql, params = []) => (await client.query({ text: sql, values: params as unknown[], name: statementName(sql) })).rows,
      close: () => client.end(),
    };
  },
};

/** postgres.js `unsafe` options: extended protocol, prepared (`simple` is real but untyped). */
const PREPARED = { prepare: true, simple: false } as postgres.UnsafeQueryOptions;

/** postgres.js: `max: 1`, `unsafe` with `prepare: true` (what its tagged template does). */
export const postgresJs: BenchDriver = {
  name: 'postgres.js',
  async connect(url) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql`SELECT 1`;
    return {
      query: (text, params = []) => sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], PREPARED) as unknown as Promise<unknown[]>,
      close: () => sql.end({ timeout: 1 }),
    };
  },
};

/** Every driver, ours first. */
export const DRIVERS: readonly BenchDriver[] = [ours, pg, postgresJs];
