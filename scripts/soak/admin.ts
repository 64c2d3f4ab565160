/**
 * The harness's own line to the database: a node-postgres client straight
 * to the server (never through the fault proxy, never through the driver
 * under test), so what it sends and what it reads back judge the driver
 * independently.
 *
 * Theory of operation. The client connects lazily and is dropped on any
 * connection-level error (a restarted server ends it), so the next call
 * connects again; an idle client's 'error' event is caught, never left to
 * crash the process. {@link Admin.retry} repeats a statement until it
 * succeeds or a deadline passes, for steps that must happen (judging,
 * healing) while the server may still be coming back.
 */
import { Client } from 'pg';
import { sleep, StepTimeout } from './wait';

/** A lazily connected, self-replacing node-postgres client; see the file comment. */
export class Admin {
  private client: Promise<Client> | null = null;

  /** @param url where to connect (a superuser URL of the soak database) */
  constructor(readonly url: string) {}

  /** Runs one statement; fires with its rows. A failure drops the client (the next call reconnects). */
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const pending = this.connected();
    try {
      const c = await pending;
      return (await c.query(sql, params)).rows as R[];
    } catch (e) {
      this.drop(pending);
      throw e;
    }
  }

  /** {@link query}, repeated every 200 ms until it succeeds; throws a StepTimeout after `ms`. */
  async retry<R = Record<string, unknown>>(sql: string, params: unknown[], ms: number): Promise<R[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        return await this.query<R>(sql, params);
      } catch (e) {
        if (Date.now() > deadline) throw new StepTimeout(`${sql.slice(0, 60)} (last error: ${(e as Error).message})`, ms);
        await sleep(200);
      }
    }
  }

  /** Ends the client, if any. */
  async close(): Promise<void> {
    const pending = this.client;
    this.client = null;
    if (pending) await pending.then((c) => c.end()).catch(() => undefined);
  }

  private connected(): Promise<Client> {
    if (this.client === null) {
      const c = new Client({ connectionString: this.url });
      const pending = c.connect().then(
        () => c,
        async (e: Error) => {
          await c.end().catch(() => undefined);
          throw e;
        },
      );
      c.on('error', () => this.drop(pending)); // an idle client whose server went away
      this.client = pending;
    }
    return this.client;
  }

  private drop(pending: Promise<Client> | null): void {
    if (pending === null || this.client !== pending) return;
    this.client = null;
    void pending.then((c) => c.end()).catch(() => undefined);
  }
}
