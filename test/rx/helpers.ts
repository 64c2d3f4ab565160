/** Small helpers shared by the rx tests: waiting for events from a real server. */
import { Connection } from '../../src/index';
import { createTestDatabase, type TestDatabase } from '../support/server';
import { firstValueFrom, type Observable, take as first, timeout, toArray } from 'rxjs';

export { until } from '../support/until';

/** Collects the first `n` values of `source` (unsubscribing then); rejects after `ms` without them (a limit to give up at, generous for a loaded machine). */
export function take<T>(source: Observable<T>, n: number, ms = 20_000): Promise<T[]> {
  return firstValueFrom(source.pipe(first(n), toArray(), timeout(ms)));
}

/** A fresh database, a listening connection and a sending one, for the whole file. */
export interface NotifyPair {
  readonly db: TestDatabase;
  readonly conn: Connection;
  readonly sender: Connection;
}

/** Sets up a {@link NotifyPair} in beforeAll and tears it down in afterAll. */
export function useNotifyPair(prefix: string): NotifyPair {
  const pair = {} as { db: TestDatabase; conn: Connection; sender: Connection };
  beforeAll(async () => {
    pair.db = await createTestDatabase(prefix);
    pair.conn = new Connection();
    pair.sender = new Connection();
    await pair.conn.connect(pair.db.url());
    await pair.sender.connect(pair.db.url());
  });
  afterAll(async () => {
    pair.conn.close();
    pair.sender.close();
    await pair.db.drop();
  });
  return pair;
}
