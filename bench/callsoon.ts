/**
 * callSoon latency: NodeReactor.callSoon next to setTimeout(0), setImmediate
 * and a bare queueMicrotask, measured as N sequential hops (each callback
 * schedules the next), so each number is the mean cost of one hop.
 *
 *   node -r ./scripts/register-ts.js bench/callsoon.ts [hops] [rounds]
 */
import { NodeReactor } from '../reactor/node/node';

type Scheduler = (fn: () => void) => void;

/** Runs `hops` sequential hops through `schedule`; resolves with the mean µs per hop. */
function measure(schedule: Scheduler, hops: number): Promise<number> {
  return new Promise((resolve) => {
    let left = hops;
    const start = performance.now();
    const hop = (): void => {
      if (--left === 0) resolve(((performance.now() - start) * 1000) / hops);
      else schedule(hop);
    };
    schedule(hop);
  });
}

/** The median of some numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const hops = Number(process.argv[2] ?? 10_000);
  const rounds = Number(process.argv[3] ?? 7);
  const reactor = new NodeReactor();
  const candidates: Array<[string, Scheduler, number]> = [
    ['NodeReactor.callSoon', (fn) => reactor.callSoon(fn), hops],
    ['queueMicrotask (bare)', (fn) => queueMicrotask(fn), hops],
    ['setImmediate', (fn) => setImmediate(fn), hops],
    ['setTimeout(0)', (fn) => setTimeout(fn, 0), Math.min(hops, 1_000)],
  ];
  for (const [, schedule, n] of candidates) await measure(schedule, n); // warm up (JIT)
  const results = candidates.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [, schedule, n]] of candidates.entries()) results[i].push(await measure(schedule, n));
  }
  console.log(`callSoon latency: mean per sequential hop, median of ${rounds} interleaved rounds (node ${process.version})`);
  for (const [i, [name, , n]] of candidates.entries()) {
    console.log(`  ${name.padEnd(24)} ${median(results[i]).toFixed(3).padStart(10)} µs   (${n} hops per round)`);
  }
}

void main();
