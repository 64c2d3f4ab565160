/**
 * session-setup: the protocol versions a session's machine asks for, from
 * the resolved connection parameters, and the fallback override.
 */
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { machineOptions } from '../../src/connection/session-setup';
import { resolveConfig } from '../../src/dsn/resolve';

const params = (dsn: string) => resolveConfig(dsn, {}, { osUser: 'u' });

describe('machineOptions: protocol versions', () => {
  it('asks for 3.2 and accepts 3.0 by default', () => {
    const p = params('host=h');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.2' });
  });

  it('passes min_protocol_version and max_protocol_version on', () => {
    const p = params('host=h min_protocol_version=3.2 max_protocol_version=latest');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.2', maxProtocolVersion: '3.2' });
    const q = params('host=h max_protocol_version=3.0');
    expect(machineOptions(q, q.hosts[0], nodeAuthCrypto, {})).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.0' });
  });

  it('asks for the fallback version instead of max_protocol_version when given one (the retry after a refusal)', () => {
    const p = params('host=h');
    expect(machineOptions(p, p.hosts[0], nodeAuthCrypto, { maxProtocolVersion: '3.0' })).toMatchObject({ minProtocolVersion: '3.0', maxProtocolVersion: '3.0' });
  });
});
