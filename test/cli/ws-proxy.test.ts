/** `tspostgres ws-proxy` delegates to the relay's CLI. (`replicate` is tested in replicate.test.ts.) */
import { main } from '../../cli/main';
import { until } from '../support/until';
import { fakeIo } from './fake-io';

describe('tspostgres ws-proxy', () => {
  it('prints the relay help with --help', async () => {
    const io = fakeIo();
    expect(await main(['ws-proxy', '--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: tspostgres-ws-proxy --allow HOST:PORT/);
  });

  it('exits 2 on a relay usage error', async () => {
    for (const args of [['ws-proxy'], ['ws-proxy', '--allow', 'nowhere'], ['ws-proxy', '--bogus']]) {
      const io = fakeIo();
      expect(await main(args, io)).toBe(2);
      expect(io.err()).toMatch(/^tspostgres: ERR_CLI_USAGE/);
    }
  });

  it('runs the relay until the abort signal, then exits 0', async () => {
    const io = fakeIo();
    const exit = main(['ws-proxy', '--allow', '127.0.0.1:5432', '--listen', '127.0.0.1:0'], io);
    await until(() => io.out().includes('listening on ws://127.0.0.1:'), 20_000, 'the start line');
    io.abort();
    expect(await exit).toBe(0);
  });
});
