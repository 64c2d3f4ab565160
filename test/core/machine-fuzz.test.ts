/**
 * The ProtocolMachine's fuzz targets (fuzz/targets/machine.ts, copy.ts,
 * startup.ts), the ones `npm run fuzz` runs a million times, run here with
 * a small count. Each input (mutated captured server bytes or random
 * messages, in random chunks, with random commands between them) must end
 * in events, or in one Failed event with a library error that is the last
 * thing the machine says; receiveData never throws; the work is linear in
 * the input; the end of the stream closes the machine with exactly one
 * more event. The rules are checked in fuzz/targets/machine-oracle.ts.
 */
import { countOutcomes, runTarget } from '../../fuzz/runner';
import { copyTarget } from '../../fuzz/targets/copy';
import { machineTarget } from '../../fuzz/targets/machine';
import { startupTarget } from '../../fuzz/targets/startup';

const has = (part: string) => (label: string): boolean => label.includes(part);

describe('ProtocolMachine fuzz', () => {
  it('ends each of 20,000 hostile inputs after startup in events or one final Failed event', () => {
    const r = runTarget(machineTarget, { seed: 20240229, count: 20_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    expect(countOutcomes(r, has('Failed:'))).toBeGreaterThan(2_000); // the inputs really are hostile
    expect(countOutcomes(r, has('open:'))).toBeGreaterThan(1_000); // and some stay legal
    expect(countOutcomes(r, has('open:copy'))).toBeGreaterThan(0); // COPY is reached by the captured streams
  }, 180_000); // speed is the benchmark's business; a loaded machine may take minutes

  it('keeps the rules in every COPY sub-state for 10,000 inputs', () => {
    const r = runTarget(copyTarget, { seed: 7, count: 10_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    for (const mode of ['in-simple', 'in-extended', 'out', 'both']) {
      expect(countOutcomes(r, (l) => l.startsWith(`${mode} Failed:`))).toBeGreaterThan(100);
      expect(countOutcomes(r, (l) => l.startsWith(`${mode} open:`))).toBeGreaterThan(100);
    }
    expect(countOutcomes(r, has('open:ready'))).toBeGreaterThan(0); // some copies end cleanly
  }, 180_000);

  it('keeps the rules during startup and authentication for 10,000 inputs', () => {
    const r = runTarget(startupTarget, { seed: 99, count: 10_000 });
    expect(r.failures.map((f) => f.message)).toEqual([]);
    for (const session of ['trust', 'md5', 'scram', 'cleartext', 'negotiate']) {
      expect(countOutcomes(r, (l) => l.startsWith(`${session} open:ready`))).toBeGreaterThan(0); // a startup that survives its mutations
    }
    for (const code of ['ERR_PROTOCOL_VIOLATION', 'ERR_AUTH_PROTOCOL', 'ERR_AUTH_INSECURE', 'ERR_TLS_REFUSED', 'ERR_PROTOCOL_VERSION_UNSUPPORTED']) {
      expect(countOutcomes(r, has(`Failed:${code}`))).toBeGreaterThan(0);
    }
  }, 180_000);
});
