/**
 * A flood of ParameterStatus from a hostile server: distinct names are
 * capped at MAX_SERVER_PARAMETERS (one more is a ProtocolViolation that
 * closes the machine), while any number of new values for known names is
 * accepted. Counted in messages and map entries, never timed.
 */
import { MAX_SERVER_PARAMETERS } from '../../src/core/machine';
import { ProtocolViolation } from '../../src/errors/base';
import type { BackendMessage } from '../../src/protocol/messages';
import { be, drain, readyMachine } from './machine-helpers';

const status = (name: string, value = 'v'): BackendMessage => ({ type: 'ParameterStatus', name, value });

describe('ParameterStatus floods', () => {
  it(`fail with a ProtocolViolation at the first distinct name past ${MAX_SERVER_PARAMETERS}, keeping no more`, () => {
    const m = readyMachine(); // knows server_version and TimeZone
    const flood = Array.from({ length: 100_000 }, (_, i) => status(`custom.p${i}`));
    m.receiveData(be(...flood));
    const events = drain(m);
    const accepted = MAX_SERVER_PARAMETERS - 2;
    expect(events).toHaveLength(accepted + 1);
    expect(events.slice(0, accepted).every((e) => e.type === 'ParameterStatus')).toBe(true);
    const failed = events[accepted] as { type: string; error: Error };
    expect(failed.type).toBe('Failed');
    expect(failed.error).toBeInstanceOf(ProtocolViolation);
    expect(failed.error.message).toContain(`more than ${MAX_SERVER_PARAMETERS} distinct parameters`);
    expect(m.state).toBe('closed');
    expect(m.parameters.size).toBe(MAX_SERVER_PARAMETERS);
  });

  it('accept the limit exactly, and any number of new values for names already known', () => {
    const m = readyMachine();
    m.receiveData(be(...Array.from({ length: MAX_SERVER_PARAMETERS - 2 }, (_, i) => status(`custom.p${i}`))));
    m.receiveData(be(...Array.from({ length: 50_000 }, (_, i) => status(`custom.p${i % 100}`, String(i)))));
    m.receiveData(be(status('TimeZone', 'Europe/Paris')));
    expect(drain(m).some((e) => e.type === 'Failed')).toBe(false);
    expect(m.state).toBe('ready');
    expect(m.parameters.size).toBe(MAX_SERVER_PARAMETERS);
    expect(m.parameters.get('custom.p99')).toBe('49999');
    expect(m.parameters.get('TimeZone')).toBe('Europe/Paris');
  });

  it('count the parameters of the startup too', () => {
    const m = readyMachine();
    m.receiveData(be(...Array.from({ length: MAX_SERVER_PARAMETERS - 1 }, (_, i) => status(`custom.p${i}`))));
    expect(drain(m).pop()).toMatchObject({ type: 'Failed' });
  });
});
