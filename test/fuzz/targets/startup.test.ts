/**
 * The startup target's key-derivation accounting: every PBKDF2 iteration
 * count a server asks for is recorded (the machine would catch and hide a
 * throw), counts past PostgreSQL's 4,096 are not run for real, and the
 * target checks the record against its budget.
 */
import { fuzzCrypto, MAX_PBKDF2_ITERATIONS, type DerivationLog } from '../../../fuzz/targets/startup';
import { nodeAuthCrypto } from '../../../src/connection/node-crypto';

const pw = new TextEncoder().encode('pencil');
const salt = Uint8Array.of(1, 2, 3, 4);

describe('fuzzCrypto', () => {
  it('records the largest iteration count asked for, and derives past 4,096 with a stand-in', () => {
    const log: DerivationLog = { maxIterations: 0 };
    const crypto = fuzzCrypto(log);
    expect(crypto.pbkdf2Sha256(pw, salt, 4096)).toEqual(nodeAuthCrypto.pbkdf2Sha256(pw, salt, 4096));
    expect(log.maxIterations).toBe(4096);
    expect(crypto.pbkdf2Sha256(pw, salt, 9_999_999_999)).toHaveLength(32);
    expect(crypto.pbkdf2Sha256(pw, salt, 10)).toHaveLength(32);
    expect(log.maxIterations).toBe(9_999_999_999);
    expect(log.maxIterations).toBeGreaterThan(MAX_PBKDF2_ITERATIONS);
  });
});
