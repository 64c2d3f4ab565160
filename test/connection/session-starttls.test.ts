/**
 * Session.startTls against a transport that throws synchronously instead of
 * rejecting (and, as NodeTransport did, never reports the loss): the session
 * must end by itself with that error, so a connect never hangs on it. A
 * transport that rejects ends the session once it reports the loss.
 */
import type { Reactor, TlsInfo, Transport } from '../../reactor/interfaces';
import { nodeAuthCrypto } from '../../src/connection/node-crypto';
import { ProtocolMachine } from '../../src/core/machine';
import { Session, type SessionListener } from '../../src/connection/session';

/** A transport that records calls; `startTls` does what the test says; it reports nothing by itself. */
class FakeTransport implements Transport {
  aborted: Array<Error | undefined> = [];
  written: Uint8Array[] = [];
  constructor(private readonly upgrade: () => Promise<TlsInfo>) {}
  write(bytes: Uint8Array): void { this.written.push(bytes.slice()); }
  startTls(): Promise<TlsInfo> { return this.upgrade(); }
  pauseReading(): void {}
  resumeReading(): void {}
  close(): void {}
  abort(reason?: Error): void { this.aborted.push(reason); }
}

const reactor = { callSoon: (fn: () => void) => queueMicrotask(fn), now: () => 0, callLater: () => ({ cancel() {}, active: true }) } as unknown as Reactor;

function session(transport: FakeTransport): { lost: Array<Error | null> } {
  const lost: Array<Error | null> = [];
  const listener: SessionListener = { ready: () => {}, notification: () => {}, notice: () => {}, lost: (e) => { lost.push(e); } };
  const machine = new ProtocolMachine({ user: 'u', crypto: nodeAuthCrypto, tls: 'require' });
  const s = new Session(machine, reactor, listener, { options: { key: 'not a key' }, channelBinding: () => undefined });
  s.connectionMade(transport);
  expect(transport.written.length).toBe(1); // the SSLRequest
  s.dataReceived(Uint8Array.of(0x53)); // 'S': the machine asks for TLS
  return { lost };
}

describe('Session.startTls', () => {
  it('ends the session at once with the error when the transport throws synchronously, and aborts the transport', () => {
    const boom = new Error('DECODER routines::unsupported');
    const transport = new FakeTransport(() => { throw boom; });
    const { lost } = session(transport);
    expect(lost).toEqual([boom]);
    expect(transport.aborted[0]).toBe(boom);
  });

  it('aborts the transport with the rejection when startTls rejects (the transport then reports the loss)', async () => {
    const refused = new Error('refused');
    const transport = new FakeTransport(() => Promise.reject(refused));
    session(transport);
    await Promise.resolve();
    await Promise.resolve();
    expect(transport.aborted).toEqual([refused]);
  });
});
