/**
 * A tiny TCP proxy with one fault: a stall switch (a blackhole).
 *
 * Theory of operation. Each accepted client gets its own upstream socket;
 * bytes are copied both ways unless `stalled` is set, in which case they are
 * dropped on the floor while both TCP connections stay open (the peers keep
 * ACKing, nothing arrives): what a partitioned network or a dead middlebox
 * looks like to a driver. Closing either side closes the other. Benchmarks
 * only (W10); the test suite has its own, richer fault proxy.
 */
import * as net from 'node:net';

/** A running stall proxy. */
export interface StallProxy {
  /** The port to connect to on 127.0.0.1. */
  readonly port: number;
  /** While true, every byte in both directions is discarded. */
  stalled: boolean;
  /** Stops listening and destroys every link. */
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (a free port) forwarding to `host:port`. */
export async function startStallProxy(host: string, port: number): Promise<StallProxy> {
  const sockets = new Set<net.Socket>();
  const state = { stalled: false };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host, port });
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (!state.stalled && !to.destroyed) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    get stalled() {
      return state.stalled;
    },
    set stalled(v: boolean) {
      state.stalled = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
