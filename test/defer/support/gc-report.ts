/**
 * Run by hooks.test.ts in a child process with --expose-gc: drops a failed
 * Deferred, one whose own callback threw (the error's stack frames hold
 * that Deferred) and a handled one, collects garbage, and prints what was
 * reported.
 */
import { Deferred } from '../../../src/defer/deferred';
import { setUnhandledFailureHandler } from '../../../src/defer/hooks';

const reported: string[] = [];
let ownerGone = true;
setUnhandledFailureHandler((e, d) => {
  reported.push(e.message);
  if (d !== undefined) ownerGone = false;
});

function drop(): void {
  const lost = new Deferred<number>();
  lost.errback(new Error('collected'));
  const thrown = new Deferred<number>();
  thrown.addCallback(() => {
    throw new Error('thrown in its callback');
  });
  thrown.callback(1);
  const handled = new Deferred<number>();
  handled.errback(new Error('handled'));
  handled.addErrback(() => 0);
}

async function main(): Promise<void> {
  drop();
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  for (let i = 0; i < 20 && reported.length < 2; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  process.stdout.write(JSON.stringify({ reported: [...reported].sort(), ownerGone, handledReported: reported.includes('handled') }));
}

void main();
