/**
 * Shared TLS client contexts.
 *
 * Theory of operation. `tls.connect` without a `secureContext` builds a new
 * one from its options on every call (an OpenSSL SSL_CTX, the root
 * certificates added to it): about 220 us of CPU per connect, measured, for
 * contexts that are all alike. {@link sharedSecureContext} keeps the
 * contexts it built, keyed by what goes into one (protocol versions, CA,
 * client certificate and key, revocation lists; by a SHA-256 of them, so the
 * key text is not kept twice), and hands the same context to every connect
 * with the same material. A context holds no per-connection state (each
 * TLSSocket has its own session), so sharing one is what Node recommends. At
 * most {@link MAX_SHARED_CONTEXTS} are kept, the least recently used going
 * first. Building a context throws for material OpenSSL refuses (a key that
 * is not a key, a key that does not match its certificate), as `tls.connect`
 * did; nothing is kept then. Every context offers the key exchange groups of
 * tls-groups.ts (P-256 first, which saves PostgreSQL servers up to 17 a
 * HelloRetryRequest round trip).
 */
import { createHash } from 'node:crypto';
import * as tls from 'node:tls';
import { clientGroups } from './tls-groups';

/** The most contexts kept. */
export const MAX_SHARED_CONTEXTS = 16;

/** What a client context is built from (node:tls option values). */
export interface ContextMaterial {
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ca?: Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  crl?: Array<string | Buffer>;
}

const contexts = new Map<string, tls.SecureContext>();

/** The context for `material`: the one built before for the same material, else a new one (kept). Throws what node:tls throws for bad material. */
export function sharedSecureContext(material: ContextMaterial): tls.SecureContext {
  const key = materialKey(material);
  const known = contexts.get(key);
  if (known !== undefined) {
    contexts.delete(key); // most recently used goes last
    contexts.set(key, known);
    return known;
  }
  const options = definedOnly(material);
  const groups = clientGroups(); // P-256 first: no HelloRetryRequest from a PostgreSQL server with its default curve (tls-groups.ts)
  if (groups !== undefined) options.ecdhCurve = groups;
  const context = tls.createSecureContext(options);
  contexts.set(key, context);
  if (contexts.size > MAX_SHARED_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
  return context;
}

/** How many contexts are kept now (for tests). */
export function sharedContextCount(): number {
  return contexts.size;
}

/**
 * The cache key of `m`: the versions alone as text when there is no
 * certificate material (the usual `sslmode=require` connect; it cannot
 * equal a base64 hash, which has no ':'), else a SHA-256 over everything.
 */
function materialKey(m: ContextMaterial): string {
  if (m.ca === undefined && m.cert === undefined && m.key === undefined && m.crl === undefined) return `versions:${m.minVersion ?? ''}:${m.maxVersion ?? ''}`;
  const hash = createHash('sha256');
  const part = (label: string, value: string | Buffer | Array<string | Buffer> | undefined): void => {
    if (value === undefined) return;
    const items = Array.isArray(value) ? value : [value];
    hash.update(`${label}:${items.length}:`);
    for (const item of items) {
      const bytes = typeof item === 'string' ? Buffer.from(item) : item;
      hash.update(`${bytes.length}:`).update(bytes);
    }
  };
  part('min', m.minVersion);
  part('max', m.maxVersion);
  part('ca', m.ca);
  part('cert', m.cert);
  part('key', m.key);
  part('crl', m.crl);
  return hash.digest('base64');
}

/** node:tls treats an option that is present but undefined as given: pass only what is set. */
function definedOnly(m: ContextMaterial): tls.SecureContextOptions {
  const out: tls.SecureContextOptions = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
