/**
 * Transaction boundaries in a logical decoding stream, for the plugins we
 * know (`test_decoding`, `pgoutput`).
 *
 * Why: the server remembers a logical slot's progress per transaction. A
 * flush position at a transaction's commit (the commit message's
 * `dataStart` is the end of its commit record) tells the server the
 * transaction is done; any other position makes the server send the whole
 * transaction again when replication restarts. So the acknowledgement
 * tracker (`acks.ts`) needs to know which messages begin and end a
 * transaction: only an acknowledged end is reported as flushed, and after a
 * resume the acknowledged beginning of a half-acknowledged transaction is
 * skipped, not redelivered. Streamed in-progress transactions
 * (pgoutput's Stream Start .. Stream Commit, test_decoding's streamed
 * blocks) are tracked by transaction id: while one is open the tracker
 * skips nothing on resume (redelivery rather than loss).
 */

/** What one message means for transaction boundaries. */
export type Boundary =
  | { kind: 'begin' }
  | { kind: 'end' }
  | { kind: 'inside' }
  /** Outside any transaction (a non-transactional logical message): a safe point of its own. */
  | { kind: 'standalone' }
  /**
   * Not a change: a description the server sends once per session before
   * first use (pgoutput's Relation and Type). A resumed session sends it
   * again where the old one did not, so it is never counted as acknowledged
   * nor skipped on resume.
   */
  | { kind: 'meta' }
  /** A piece of a streamed in-progress transaction; `closes`: it commits or aborts transaction `xid`. */
  | { kind: 'streamed'; xid: number | null; closes: boolean };

/** Classifies a message by its payload; null when the plugin is unknown (no boundaries). */
export type BoundaryClassifier = (payload: Uint8Array | string) => Boundary;

const INSIDE: Boundary = { kind: 'inside' };
const BEGIN: Boundary = { kind: 'begin' };
const END: Boundary = { kind: 'end' };
const STANDALONE: Boundary = { kind: 'standalone' };
const META: Boundary = { kind: 'meta' };

/** The classifier of a plugin, or null when we do not know its output. */
export function classifierFor(plugin: string | undefined): BoundaryClassifier | null {
  if (plugin === 'pgoutput') return pgoutput;
  if (plugin === 'test_decoding') return testDecoding;
  return null;
}

/** pgoutput: the first byte names the message (protocol docs, "Logical Replication Message Formats"). */
function pgoutput(payload: Uint8Array | string): Boundary {
  const b = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  switch (b[0]) {
    case 0x42: // B Begin
    case 0x62: // b Begin Prepare
      return BEGIN;
    case 0x43: // C Commit
    case 0x50: // P Prepare
    case 0x4b: // K Commit Prepared
    case 0x72: // r Rollback Prepared
      return END;
    case 0x53: // S Stream Start: Int32 xid
    case 0x45: // E Stream Stop
      return { kind: 'streamed', xid: b[0] === 0x53 ? xidAt(b, 1) : null, closes: false };
    case 0x63: // c Stream Commit: Int32 xid
    case 0x41: // A Stream Abort: Int32 xid
    case 0x70: // p Stream Prepare: Int8 flags, Int64, Int64, Int64, Int32 xid ... (xid at 25)
      return { kind: 'streamed', xid: xidAt(b, b[0] === 0x70 ? 25 : 1), closes: true };
    case 0x52: // R Relation
    case 0x59: // Y Type
      return META;
    case 0x4d: // M Message: [Int32 xid when streamed] Int8 flags (1 = transactional) ...
      return (b[1] & 1) === 0 && b.length > 1 ? STANDALONE : INSIDE;
    default:
      return INSIDE;
  }
}

function xidAt(b: Uint8Array, at: number): number | null {
  if (b.length < at + 4) return null;
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/** test_decoding: the text's first words. */
function testDecoding(payload: Uint8Array | string): Boundary {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload.subarray(0, 80));
  if (text.startsWith('BEGIN')) return BEGIN;
  if (text.startsWith('COMMIT') || text.startsWith('PREPARE TRANSACTION') || text.startsWith('ROLLBACK PREPARED')) return END;
  if (text.startsWith('message: transactional: 0')) return STANDALONE;
  const streamed = /^(opening|closing) a streamed block for transaction(?: TXN (\d+))?|^(committing|aborting) streamed (?:substransaction|transaction|subtransaction)(?: TXN (\d+))?/.exec(text);
  if (streamed !== null) {
    const xid = streamed[2] ?? streamed[4];
    return { kind: 'streamed', xid: xid === undefined ? null : Number(xid), closes: streamed[3] !== undefined };
  }
  if (text.startsWith('streaming ')) return { kind: 'streamed', xid: null, closes: false };
  return INSIDE;
}
