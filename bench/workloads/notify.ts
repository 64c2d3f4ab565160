/**
 * W8: NOTIFY delivery latency and rate.
 *
 * Theory of operation. One notifier (always a node-postgres Client, so the
 * sending side is the same for every driver) runs `SELECT pg_notify('bench',
 * $1)` N times, awaited, with `process.hrtime.bigint()` as the payload. The
 * listener of the driver under test computes now − payload on receipt. The
 * rate is N over the time from the first send to the last receipt; after the
 * last send we wait up to 2 s for stragglers and report any loss.
 *
 * Fairness. Before the measured N, each listener receives {@link warmupCount}
 * unmeasured notifications the same way (awaited one by one; then all of
 * them waited for), and the heap is collected when `--expose-gc` is on: every driver's
 * receive path is measured warm, as the notifier's (node-postgres, warmed
 * by connecting and by the pg listener sharing its code) always is; the
 * other workloads have their BENCH_WARMUP for the same reason.
 */
import { Client } from 'pg';
import postgres from 'postgres';
import { Connection } from '../../src/index';
import type { DriverName } from '../lib/drivers';
import type { Measurement, Workload } from '../lib/result';
import { Samples, summarize } from '../lib/stats';

const CHANNEL = 'bench';

/** A listener: subscribes `onPayload` and resolves once LISTEN is active. */
type Listen = (url: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;

const listeners: Record<DriverName, Listen> = {
  async tspostgres(url, onPayload) {
    const conn = new Connection();
    await conn.connect(url);
    conn.addNotifyObserver((n) => onPayload(n.payload));
    await conn.runOperation(`LISTEN ${CHANNEL}`);
    return async () => conn.close();
  },
  async pg(url, onPayload) {
    const client = new Client({ connectionString: url });
    await client.connect();
    client.on('notification', (m) => onPayload(m.payload ?? ''));
    await client.query(`LISTEN ${CHANNEL}`);
    return () => client.end();
  },
  async 'postgres.js'(url, onPayload) {
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    await sql.listen(CHANNEL, onPayload);
    return () => sql.end({ timeout: 1 });
  },
};

/** Resolves when `done()` is true or after `ms`, checking every 10 ms. */
function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve) => {
    const tick = (): void => void (done() || Date.now() > until ? resolve() : setTimeout(tick, 10));
    tick();
  });
}

/** Unmeasured notifications before the measured ones: a tenth of them, at most 500. */
export function warmupCount(count: number): number {
  return Math.min(500, Math.floor(count / 10));
}

/** Sends `n` notifications as the measurement does (each awaited), then waits (up to 2 s) until the listener has them all. */
async function warmUp(notifier: Client, n: number, received: () => number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await notifier.query({ name: 'bench_notify', text: 'SELECT pg_notify($1, $2)', values: [CHANNEL, String(process.hrtime.bigint())] });
  }
  await waitFor(() => received() >= n, 2000);
}

/** Runs W8 for one driver with `count` notifications. */
export async function runNotify(driver: DriverName, url: string, count: number): Promise<Measurement> {
  let samples = new Samples();
  let warm = 0;
  let warming = true;
  let lastReceipt = 0n;
  const stop = await listeners[driver](url, (payload) => {
    if (warming) return void warm++;
    lastReceipt = process.hrtime.bigint();
    samples.push(Number(lastReceipt - BigInt(payload)) / 1e6);
  });
  const notifier = new Client({ connectionString: url });
  try {
    await notifier.connect();
    await warmUp(notifier, warmupCount(count), () => warm);
    samples = new Samples();
    warming = false;
    global.gc?.();
    const first = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      await notifier.query({ name: 'bench_notify', text: 'SELECT pg_notify($1, $2)', values: [CHANNEL, String(process.hrtime.bigint())] });
    }
    await waitFor(() => samples.count >= count, 2000);
    const s = summarize(samples);
    const lost = count - samples.count;
    const rate = samples.count / (Number(lastReceipt - first) / 1e9);
    return { workload: 'W8', driver, unit: 'notify/s', value: rate, p50Us: s.p50Us, p99Us: s.p99Us, note: `${samples.count}/${count} received, ${lost} lost, max ${s.maxUs} µs` };
  } finally {
    await notifier.end().catch(() => undefined);
    await stop();
  }
}

/** W8 bound to a server. */
export function notifyWorkload(url: string, count: number): Workload {
  return { id: 'W8', title: `NOTIFY delivery, ${count.toLocaleString('en-US')} awaited pg_notify`, repeatable: true, run: (d) => runNotify(d, url, count) };
}
