/** `tspostgres notify` against the real server: a listener receives what it sends, from an argument or stdin. */
import { Connection, Notification, type NotificationGap } from '../../src/index';
import { main } from '../../cli/main';
import { createTestDatabase, describeServer, type TestDatabase } from '../support/server';
import { until } from '../support/until';
import { fakeIo } from './fake-io';

describeServer('tspostgres notify', () => {
  let db: TestDatabase;
  let listener: Connection;
  const received: Notification[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('cli_notify');
    listener = new Connection();
    await listener.connect(db.url());
    let confirmed = false;
    listener.listen('cli_jobs', { onListen: () => (confirmed = true) })
      .subscribe((n: Notification | NotificationGap) => void (n instanceof Notification && received.push(n)));
    await until(() => confirmed, 20_000, 'LISTEN confirmed');
  });
  afterAll(async () => {
    listener.close();
    await db.drop();
  });

  it('sends the payload given as an argument', async () => {
    const io = fakeIo();
    expect(await main(['notify', '--dsn', db.url(), 'cli_jobs', 'hello, world'], io)).toBe(0);
    expect(io.out() + io.err()).toBe('');
    await until(() => received.some((n) => n.payload === 'hello, world'), 20_000, 'notification');
  });

  it('reads the payload from stdin without the trailing newline', async () => {
    const io = fakeIo({ stdin: 'from stdin\n', env: { DATABASE_URL: db.url() } });
    expect(await main(['notify', 'cli_jobs'], io)).toBe(0);
    await until(() => received.some((n) => n.payload === 'from stdin'), 20_000, 'notification');
  });

  it('prints help, and exits 2 without a channel or with too many arguments', async () => {
    const help = fakeIo();
    expect(await main(['notify', '--help'], help)).toBe(0);
    expect(help.out()).toMatch(/^Usage: tspostgres notify/);
    for (const args of [['notify'], ['notify', 'a', 'b', 'c']]) {
      const io = fakeIo({ env: { DATABASE_URL: db.url() } });
      expect(await main(args, io)).toBe(2);
      expect(io.err()).toMatch(/^tspostgres: ERR_CLI_USAGE/);
    }
  });
});
