/**
 * Differential test: our BackendDecoder and pg-protocol's Parser (a test
 * oracle only, never a runtime dependency) must read the same captured
 * streams the same way.
 */
import { BackendDecoder } from '../../src/protocol/decode';
import type { BackendMessage } from '../../src/protocol/messages';
import { fromHex, readI32, toHex, utf8Decode } from '../../src/util/bytes';
import { drain } from './drain';
import { SESSIONS } from './vectors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Parser } = require('pg-protocol/dist/parser') as { Parser: new () => { parse(b: Buffer, cb: (m: PgMessage) => void): void } };
type PgMessage = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NAMES: Record<string, string> = {
  EmptyQueryResponse: 'emptyQuery', ErrorResponse: 'error', NoticeResponse: 'notice', NotificationResponse: 'notification',
};

function ours(m: BackendMessage): unknown[] {
  const name = NAMES[m.type] ?? m.type[0].toLowerCase() + m.type.slice(1);
  switch (m.type) {
    case 'ParameterStatus': return [name, m.name, m.value];
    case 'BackendKeyData': return [name, m.processId, readI32(m.secretKey, 0)];
    case 'ReadyForQuery': return [name, m.status];
    case 'RowDescription': return [name, m.fields.map((f) => [f.name, f.tableOid, f.columnAttr, f.typeOid, f.typeSize, f.typeModifier, f.format])];
    case 'DataRow': return [name, m.fields.map((f) => (f === null ? null : utf8Decode(f)))];
    case 'CommandComplete': return [name, m.tag];
    case 'ErrorResponse':
    case 'NoticeResponse': return [name, m.fields.S, m.fields.C, m.fields.M, m.fields.P, m.fields.W, m.fields.F, m.fields.L, m.fields.R];
    case 'NotificationResponse': return [name, m.processId, m.channel, m.payload];
    case 'ParameterDescription': return [name, m.typeOids];
    case 'CopyInResponse':
    case 'CopyOutResponse': return [name, m.format === 1, m.columnFormats.length];
    case 'CopyData': return [name, toHex(m.data)];
    case 'AuthenticationMD5Password': return [name, toHex(m.salt)];
    case 'AuthenticationSASL': return [name, m.mechanisms];
    case 'AuthenticationSASLContinue':
    case 'AuthenticationSASLFinal': return [name, utf8Decode(m.data)];
    default: return [name];
  }
}

function theirs(m: PgMessage): unknown[] {
  switch (m.name) {
    case 'parameterStatus': return [m.name, m.parameterName, m.parameterValue];
    case 'backendKeyData': return [m.name, m.processID, m.secretKey];
    case 'readyForQuery': return [m.name, m.status];
    case 'rowDescription': return [m.name, m.fields.map((f: PgMessage) => [f.name, f.tableID, f.columnID, f.dataTypeID, f.dataTypeSize, f.dataTypeModifier, f.format === 'binary' ? 1 : 0])];
    case 'dataRow': return [m.name, m.fields];
    case 'commandComplete': return [m.name, m.text];
    case 'error':
    case 'notice': return [m.name, m.severity, m.code, m.message, m.position, m.where, m.file, m.line, m.routine];
    case 'notification': return [m.name, m.processId, m.channel, m.payload];
    case 'parameterDescription': return [m.name, m.dataTypeIDs];
    case 'copyInResponse':
    case 'copyOutResponse': return [m.name, m.binary, m.columnTypes.length];
    case 'copyData': return [m.name, toHex(m.chunk)];
    case 'authenticationMD5Password': return [m.name, toHex(m.salt)];
    case 'authenticationSASL': return [m.name, m.mechanisms];
    case 'authenticationSASLContinue':
    case 'authenticationSASLFinal': return [m.name, m.data];
    default: return [m.name];
  }
}

// pg-protocol does not know NegotiateProtocolVersion ('v'); that session is checked by the golden tests only.
const oracleSessions = SESSIONS.filter((s) => !s.steps.some((st) => st.messages.some((m) => m.type === 'NegotiateProtocolVersion')));

describe('BackendDecoder against pg-protocol as an oracle', () => {
  test.each(oracleSessions.map((s) => [s.name, s] as const))('session %s: both decoders read the same messages from the captured stream', (_name, s) => {
    for (const st of s.steps) {
      const bytes = fromHex(st.receivedHex);
      const d = new BackendDecoder();
      d.feed(bytes);
      const expected: unknown[] = [];
      new Parser().parse(Buffer.from(bytes), (m) => expected.push(theirs(m)));
      expect(drain(d).map(ours)).toEqual(expected);
    }
  });

  test('the oracle comparison covers every backend message kind we captured but NegotiateProtocolVersion', () => {
    const kinds = new Set(oracleSessions.flatMap((s) => s.steps.flatMap((st) => st.messages.map((m) => m.type))));
    expect(kinds.size).toBeGreaterThanOrEqual(25);
  });
});
