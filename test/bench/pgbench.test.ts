import { draw, pgbenchArgs, pgbenchLogLatencies, pgbenchTps, type PgbenchSpec } from '../../bench/lib/pgbench';

const REPORT = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 10
number of clients: 10
number of threads: 2
number of transactions actually processed: 1269
latency average = 15.561 ms
initial connection time = 21.118 ms
tps = 642.617911 (without initial connection time)
`;

describe('bench pgbench parsing', () => {
  it('reads tps without the initial connection time, NaN when absent', () => {
    expect(pgbenchTps(REPORT)).toBeCloseTo(642.617911);
    expect(pgbenchTps('pgbench: error: connection failed')).toBeNaN();
  });

  it('reads per-transaction latencies (third column, µs) from every thread\'s log, skipping what is not a number', () => {
    const thread0 = '0 1 1000 0 1700000000 1\n0 2 3000 0 1700000000 2\n1 1 2000 0 1700000000 3\n';
    const thread1 = '5 1 4000 0 1700000000 4\n5 2 skipped 0 1700000000 5\n\n';
    expect(pgbenchLogLatencies([thread0, thread1])).toEqual({ p50Us: 2000, p99Us: 4000, count: 4 });
    expect(pgbenchLogLatencies([''])).toEqual({ p50Us: NaN, p99Us: NaN, count: 0 });
  });

  it('draws aid, bid, tid and delta in the tpcb-like script\'s ranges', () => {
    for (let i = 0; i < 2000; i++) {
      const d = draw(3);
      expect(d.aid).toBeGreaterThanOrEqual(1);
      expect(d.aid).toBeLessThanOrEqual(300_000);
      expect([1, 2, 3]).toContain(d.bid);
      expect(d.tid).toBeGreaterThanOrEqual(1);
      expect(d.tid).toBeLessThanOrEqual(30);
      expect(Math.abs(d.delta)).toBeLessThanOrEqual(5000);
      expect(Number.isInteger(d.aid + d.bid + d.tid + d.delta)).toBe(true);
    }
  });

  it('builds the floor\'s command line: a -f script for W1 (one client, one thread), -b for a builtin, -T whole seconds, per-transaction log', () => {
    const w1: PgbenchSpec = { workload: 'W1', unit: 'q/s', script: { sql: 'SELECT 1' }, clients: 1, threads: 1, seconds: 2 };
    expect(pgbenchArgs(w1, 'postgres://h/db?sslmode=disable', '/tmp/x/tx', '/tmp/x/script.sql')).toEqual([
      '-n', '-f', '/tmp/x/script.sql', '-M', 'prepared', '-c', '1', '-j', '1', '-T', '2', '-l', '--log-prefix=/tmp/x/tx', 'postgres://h/db?sslmode=disable',
    ]);
    const w14: PgbenchSpec = { workload: 'W14', unit: 'tps', script: { builtin: 'tpcb-like' }, clients: 10, threads: 2, seconds: 0.4 };
    expect(pgbenchArgs(w14, 'u', 'p', 'unused')).toEqual(['-n', '-b', 'tpcb-like', '-M', 'prepared', '-c', '10', '-j', '2', '-T', '1', '-l', '--log-prefix=p', 'u']);
  });
});
