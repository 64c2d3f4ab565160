/**
 * Log sequence numbers (LSNs): positions in the server's write-ahead log.
 *
 * An LSN is an unsigned 64-bit byte position. The wire protocol carries it
 * as an Int64; the server prints it as two hexadecimal halves separated by a
 * slash (`16/B374D848`: the high 32 bits, then the low 32 bits, without
 * leading zeros), and SQL (`pg_lsn`) and the replication commands read it in
 * that form. The API holds LSNs as `bigint`; every input that names an LSN
 * accepts either a `bigint` or the server's text form ({@link LsnInput}),
 * and {@link formatLsn} turns a `bigint` back into the server's form, e.g.
 * for a `START_REPLICATION` command. It lives with the codec (the machine
 * formats LSNs into replication commands); `src/replication/lsn.ts` is its
 * public home.
 */
import { InterfaceError } from '../errors/base';

/** An LSN as the API accepts it: a `bigint`, or the server's `16/B374D848` text form. */
export type LsnInput = bigint | string;

/** The invalid LSN `0/0` (`InvalidXLogRecPtr`): "no position", e.g. an unset feedback field. */
export const INVALID_LSN = 0n;

/** The largest LSN: 2^64 - 1 (`FFFFFFFF/FFFFFFFF`). */
export const MAX_LSN = (1n << 64n) - 1n;

const TEXT_FORM = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Parses the server's `16/B374D848` form (each half 1 to 8 hex digits, any
 * case) or passes a `bigint` through after a range check. Throws an
 * `InterfaceError` with code `ERR_INVALID_LSN` for anything else (a negative
 * or too large bigint, a number, malformed text).
 */
export function parseLsn(input: LsnInput): bigint {
  if (typeof input === 'bigint') {
    if (input < 0n || input > MAX_LSN) throw invalid(`${input} is outside 0 .. 2^64-1`);
    return input;
  }
  if (typeof input !== 'string') throw invalid(`an LSN must be a bigint or a string like '16/B374D848', not ${typeof input}`);
  const match = TEXT_FORM.exec(input.trim());
  if (match === null) throw invalid(`'${input.slice(0, 40)}' is not of the form 'XXXXXXXX/XXXXXXXX'`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** Formats an LSN as the server prints it: upper-case hex halves without leading zeros (`16/B374D848`, `0/0`). */
export function formatLsn(input: LsnInput): string {
  const lsn = parseLsn(input);
  const high = lsn >> 32n;
  const low = lsn & 0xffffffffn;
  return `${high.toString(16).toUpperCase()}/${low.toString(16).toUpperCase()}`;
}

/** The larger of two LSNs. */
export function maxLsn(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function invalid(message: string): InterfaceError {
  return new InterfaceError(`invalid LSN: ${message}`, { code: 'ERR_INVALID_LSN' });
}
