/**
 * A throwaway TLS server for the reactor tests: a self-signed ECDSA P-256
 * certificate (signed with SHA-256) made with the openssl binary, and a TCP
 * server that plays PostgreSQL's SSLRequest dance: it reads `SSLREQ`,
 * answers one byte `S`, then upgrades the same socket to TLS and echoes.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';

/** A PEM key and certificate, and the certificate's DER. */
export interface TestCertificate {
  key: string;
  cert: string;
  der: Uint8Array;
}

let cached: TestCertificate | undefined;

/** Makes (once per process) a self-signed certificate for CN=localhost. */
export function testCertificate(): TestCertificate {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tspg-cert-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-sha256', '-nodes',
      '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    cached = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert, der: new Uint8Array(new X509Certificate(cert).raw) };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Starts the SSLRequest-then-TLS echo server on 127.0.0.1; resolves with its port and a close function. */
export function startTlsEchoServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const { key, cert } = testCertificate();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', (request) => {
      if (request.toString('latin1') !== 'SSLREQ') return void socket.destroy();
      socket.write('S');
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
      secure.on('data', (chunk) => secure.write(chunk));
      secure.on('error', () => {});
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        close: () => new Promise<void>((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
