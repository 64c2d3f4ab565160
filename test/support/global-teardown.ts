/**
 * Jest global teardown: stops the server that global-setup.ts started (a
 * throwaway cluster is stopped and its temp dir removed; a container is
 * stopped; a server given by PGTEST_URL is left alone).
 */
import { HANDLE_KEY, type RunServerHandle } from './global-setup';

/** Jest globalTeardown entry point. */
export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as Record<string, unknown>;
  const handle = slot[HANDLE_KEY] as RunServerHandle | undefined;
  delete slot[HANDLE_KEY];
  await handle?.stop();
  // Forget the server we described (a watch-mode rerun must not take it for a user-given PGTEST_URL).
  if (handle && process.env.PGTEST_KIND !== 'external') {
    for (const key of Object.keys(process.env)) if (key.startsWith('PGTEST_')) delete process.env[key];
  }
}
