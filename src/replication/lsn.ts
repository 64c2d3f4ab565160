/**
 * LSNs in the replication API: `bigint`s, with the server's `16/B374D848`
 * text form accepted wherever an LSN is an input. The helpers live with
 * the wire codec (`src/protocol/lsn.ts`), since the sans-IO machine formats
 * LSNs into replication commands; this is their public home.
 */
export { parseLsn, formatLsn, maxLsn, INVALID_LSN, MAX_LSN, type LsnInput } from '../protocol/lsn';
