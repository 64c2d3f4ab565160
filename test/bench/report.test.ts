import { cell, fmt, markdownFloorTable, markdownNotes, markdownTable, ratio } from '../../bench/lib/report';
import type { Measurement, Workload } from '../../bench/lib/result';

const w1: Workload = { id: 'W1', title: 'SELECT 1', run: () => Promise.reject(new Error('not run')) };
const m = (driver: Measurement['driver'], value: number, extra: Partial<Measurement> = {}): Measurement =>
  ({ workload: 'W1', driver, unit: 'q/s', value, ...extra });

describe('bench report', () => {
  it('formats large numbers with separators and small ones with decimals', () => {
    expect(fmt(12345.6)).toBe('12,346');
    expect(fmt(12.34)).toBe('12.3');
    expect(fmt(1.234)).toBe('1.23');
    expect(fmt(NaN)).toBe('–');
  });

  it('gives ours/other for throughput and other/ours when lower is better', () => {
    expect(ratio(m('tspostgres', 300), m('pg', 200))).toBe('1.50×');
    expect(ratio(m('tspostgres', 10, { lowerIsBetter: true }), m('pg', 20, { lowerIsBetter: true }))).toBe('2.00×');
    expect(ratio(m('tspostgres', NaN), m('pg', 20))).toBe('–');
  });

  it('puts every driver, both ratios and latencies in one row per workload', () => {
    const table = markdownTable([w1], [m('tspostgres', 200, { p50Us: 50, p99Us: 90 }), m('pg', 100), m('postgres.js', 400)]);
    const row = table.split('\n')[2];
    expect(row).toBe('| W1 | SELECT 1 | q/s | 200 | 100 | 400 | 2.00× | 0.50× | 50.0 / 90.0 | – | – |');
  });

  it('marks a failed driver as an error and lists the message in the notes', () => {
    const failed = m('pg', NaN, { error: 'Error: boom' });
    expect(markdownTable([w1], [failed])).toContain('| error |');
    expect(markdownNotes([failed])).toBe('- W1 pg: **error** Error: boom');
  });

  it('shows a median with its min-max spread and marks contention with ⚠', () => {
    const spread = { min: 90, max: 310, runs: [90, 200, 310] };
    expect(cell(m('pg', 200, { spread }))).toBe('200 (90.0–310)');
    const contention = { otherCpus: 1.2, loadBefore: 3, loadAfter: 4, warning: 'other processes used 1.20 CPU over 2.0 s (load 3.00 → 4.00)' };
    expect(cell(m('pg', 200, { contention }))).toBe('200 ⚠');
    expect(cell(m('pg', 200, { display: '> 15 s (never)', spread }))).toBe('> 15 s (never)');
    expect(markdownNotes([m('pg', 200, { contention })])).toBe('- ⚠ W1 pg: other processes used 1.20 CPU over 2.0 s (load 3.00 → 4.00)');
  });

  it('adds pgbench, ours/pgbench, its latencies and the p50 ratio only when a floor was measured', () => {
    expect(markdownTable([w1], [m('tspostgres', 200)]).split('\n')[0]).not.toContain('pgbench');
    const table = markdownTable([w1], [m('tspostgres', 200, { p50Us: 66, p99Us: 90 }), m('pgbench', 400, { p50Us: 60, p99Us: 80 })]).split('\n');
    expect(table[0]).toMatch(/\| pgbench \| ours\/pgbench \| p50\/p99 µs pgbench \| p50 ours\/pgbench \|$/);
    expect(table[1].split('|').length).toBe(table[0].split('|').length);
    expect(table[2]).toMatch(/\| 400 \| 0\.50× \| 60\.0 \/ 80\.0 \| 1\.10× \|$/);
    const noLatency = markdownTable([w1], [m('tspostgres', 200), m('pgbench', 400)]).split('\n');
    expect(noLatency[2]).toMatch(/\| 400 \| 0\.50× \| – \| – \|$/);
  });

  it('gives the raw Node floor its own table: ours against it, it against pgbench, p50s and CPU per operation', () => {
    expect(markdownFloorTable([w1], [m('tspostgres', 200), m('pgbench', 400)])).toBe('');
    const ms = [
      m('tspostgres', 200, { p50Us: 60, metrics: { cpuUsPerOp: 40 } }),
      m('raw-node', 250, { p50Us: 40, metrics: { cpuUsPerOp: 25 } }),
      m('pgbench', 400, { p50Us: 32, metrics: { cpuUsPerTx: 16 } }),
    ];
    const table = markdownFloorTable([w1], ms).split('\n');
    expect(table[1].split('|').length).toBe(table[0].split('|').length);
    expect(table[2].split('|').length).toBe(table[0].split('|').length);
    expect(table[2]).toBe('| W1 | q/s | 250 | 200 | 400 | 0.80× | 0.63× | 0.50× | 40.0 | 60.0 | 32.0 | 1.50× | 1.25× | 25.0 | 40.0 | 16.0 |');
  });
});
