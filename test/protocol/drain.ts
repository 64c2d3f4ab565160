/**
 * Test helpers for the decoders: drain every complete message, copying the
 * byte views (which are only valid until the next feed()).
 */
import type { BackendMessage, FrontendMessage } from '../../src/protocol/messages';

/** Deep-copies every Uint8Array inside a message. */
export function copyMessage<T>(m: T): T {
  if (m instanceof Uint8Array) return m.slice() as T;
  if (Array.isArray(m)) return m.map(copyMessage) as T;
  if (m !== null && typeof m === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(m)) out[k] = copyMessage(v);
    return out as T;
  }
  return m;
}

/** Calls next() until null, returning copies. */
export function drain<M extends BackendMessage | FrontendMessage>(d: { next(): M | null }): M[] {
  const out: M[] = [];
  for (let m = d.next(); m !== null; m = d.next()) out.push(copyMessage(m));
  return out;
}
