/**
 * The error of a pgoutput payload the decoder cannot accept.
 *
 * A pgoutput stream is a protocol: a payload cut short, a tag we do not
 * know, a row for a relation never described, or bytes left over after a
 * message are all the server (or the decoder's configuration) breaking it,
 * so the error is a {@link ProtocolViolation} whose `code` says which:
 * `ERR_PGOUTPUT_TRUNCATED`, `ERR_PGOUTPUT_UNKNOWN_TAG`,
 * `ERR_PGOUTPUT_UNKNOWN_RELATION` or `ERR_PGOUTPUT_MALFORMED`.
 */
import { ProtocolViolation, type PgErrorOptions } from '../errors/base';

/** Why a pgoutput payload was refused; the error's `code` is `ERR_PGOUTPUT_<REASON>`. */
export type PgoutputErrorReason = 'truncated' | 'unknown-tag' | 'unknown-relation' | 'malformed';

/** Context of a {@link PgoutputError}. */
export interface PgoutputErrorContext extends PgErrorOptions {
  /** The LSN of the payload. */
  lsn: bigint;
  /** The message's tag byte as a character ('' for an empty payload). */
  tag: string;
  /** The relation oid a row message named, for `unknown-relation`. */
  relationOid?: number;
}

/** A pgoutput payload that could not be decoded; nothing of it was applied to the decoder's state. */
export class PgoutputError extends ProtocolViolation {
  readonly reason: PgoutputErrorReason;
  readonly lsn: bigint;
  readonly tag: string;
  readonly relationOid?: number;

  constructor(reason: PgoutputErrorReason, message: string, context: PgoutputErrorContext) {
    super(`pgoutput: ${message}`, { cause: context.cause });
    (this as { code: string }).code = `ERR_PGOUTPUT_${reason.toUpperCase().replace('-', '_')}`;
    this.reason = reason;
    this.lsn = context.lsn;
    this.tag = context.tag;
    if (context.relationOid !== undefined) this.relationOid = context.relationOid;
  }
}
