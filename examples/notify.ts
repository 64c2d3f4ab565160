/**
 * Listens on a channel and sends itself a few notifications.
 * Run: node -r ./scripts/register-ts.js examples/notify.ts postgres://user@localhost/db
 */
import { debounceTime } from 'rxjs';
import { Connection, Notification, NotificationGap, reactorScheduler } from '../src/index';

async function main(url: string): Promise<void> {
  const conn = new Connection();
  await conn.connect(url);
  conn.state$.subscribe((s) => console.log('state:', s));
  const jobs = conn.listen('jobs', { onListen: (ch) => console.log('listening on', ch) });
  const sub = jobs.subscribe((n) => {
    if (n instanceof NotificationGap) console.log(`gap on ${n.channel}: ${n.to - n.from} ms`);
    else if (n instanceof Notification) console.log(`job ${n.payload} from pid ${n.pid}`);
  });
  jobs.pipe(debounceTime(50, reactorScheduler(conn.reactor))).subscribe(() => console.log('burst over'));
  await conn.runQuery('SELECT 1'); // LISTEN is confirmed once queued work before it is done
  for (let i = 1; i <= 3; i++) await conn.runOperation('SELECT pg_notify($1, $2)', ['jobs', String(i)]);
  await new Promise((r) => setTimeout(r, 200));
  sub.unsubscribe();
  conn.close();
}

main(process.argv[2] ?? process.env.DATABASE_URL ?? '').catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
