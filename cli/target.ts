/**
 * Where a command connects: `--dsn`, else `DATABASE_URL`, else nothing, in
 * which case the driver's own configuration loader reads the PG* variables
 * and the pgpass file (of `io.env`). The DSN is never printed; its password
 * is returned as a secret so that output can be scrubbed of it.
 */
import { Connection, parseDsn, type ConnectionOptions } from '../src/index';
import type { CliIo } from './io';

/** The connect input and the secrets it holds. */
export interface Target {
  /** For `connect()`: a connection string, or undefined for PG* variables and pgpass. */
  readonly input: string | undefined;
  /** Passwords that must never appear in output. */
  readonly secrets: readonly string[];
}

/** Resolves the target from `--dsn` or the environment. */
export function resolveTarget(dsn: string | undefined, io: CliIo): Target {
  const input = dsn ?? io.env.DATABASE_URL ?? undefined;
  const secrets = [io.env.PGPASSWORD ?? ''];
  if (input !== undefined) secrets.push(passwordOf(input));
  return { input: input === '' ? undefined : input, secrets: secrets.filter((s) => s.length > 0) };
}

function passwordOf(dsn: string): string {
  try {
    return parseDsn(dsn).password ?? '';
  } catch {
    return '';
  }
}

/** A new Connection reading PG* variables from `io.env`, connected to `target`. */
export async function connectTo(target: Target, io: CliIo, options: ConnectionOptions = {}): Promise<Connection> {
  const conn = new Connection({ ...options, env: { ...io.env } });
  try {
    await conn.connect(target.input);
  } catch (error) {
    conn.close(); // stops a detector from trying again
    throw error;
  }
  return conn;
}
