/**
 * No output of the CLI ever shows the DSN or its password: not on success,
 * not on a usage error, not when the password is wrong.
 */
import { main } from '../../cli/main';
import { createTestDatabase, describeLocal, localServer, type TestDatabase } from '../support/server';
import { fakeIo, type FakeIo } from './fake-io';

const SECRET = 'no-such-password-4711';

function everything(io: FakeIo): string {
  return io.out() + io.err();
}

describeLocal('tspostgres and secrets', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('cli_secrets');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('never prints a wrong password, for query, notify and listen, from --dsn or DATABASE_URL', async () => {
    const scram = localServer().users.scram;
    const dsn = db.url({ user: scram.user, password: SECRET });
    const runs: [string[], Record<string, string>][] = [
      [['query', '--dsn', dsn, 'SELECT 1'], {}],
      [['query', 'SELECT 1'], { DATABASE_URL: dsn }],
      [['notify', '--dsn', dsn, 'ch', 'x'], {}],
      [['listen', '--dsn', dsn, 'ch'], {}],
    ];
    for (const [args, env] of runs) {
      const io = fakeIo({ env });
      expect(await main(args, io)).toBe(1);
      expect(io.err()).toMatch(/^tspostgres: /);
      expect(everything(io)).not.toContain(SECRET);
      expect(everything(io)).not.toContain(dsn);
    }
  });

  it('never prints the right password either, on success or a usage error', async () => {
    const scram = localServer().users.scram;
    const dsn = db.url(scram);
    for (const args of [['query', '--dsn', dsn, 'SELECT current_user AS u'], ['query', '--dsn', dsn, '--bogus', 'SELECT 1'], ['query', '--dsn']]) {
      const io = fakeIo({ isTTY: true });
      await main(args, io);
      expect(everything(io)).not.toContain(scram.password);
    }
    const ok = fakeIo();
    expect(await main(['query', '--dsn', dsn, 'SELECT current_user AS u'], ok)).toBe(0);
    expect(ok.out()).toBe(`{"u":"${scram.user}"}\n`);
  });
});
