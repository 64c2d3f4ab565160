import { nodeAuthCrypto } from '../../../src/connection/node-crypto';
import { md5Password } from '../../../src/protocol/auth/md5';
import type { BackendMessage, FrontendMessage } from '../../../src/protocol/messages';
import { SESSIONS } from '../vectors';

describe('md5Password', () => {
  test("computes 'md5' + hex(md5(hex(md5(password + user)) + salt))", () => {
    const inner = require('node:crypto').createHash('md5').update('secretalice').digest('hex');
    const outer = require('node:crypto').createHash('md5').update(Buffer.concat([Buffer.from(inner), Buffer.from([1, 2, 3, 4])])).digest('hex');
    expect(md5Password('alice', 'secret', Uint8Array.of(1, 2, 3, 4), nodeAuthCrypto)).toBe('md5' + outer);
  });

  test('answers the MD5 challenge captured from a real server with the password it accepted', () => {
    const s = SESSIONS.find((x) => x.name === 'md5')!;
    const challenge = s.steps[0].messages[0] as Extract<BackendMessage, { type: 'AuthenticationMD5Password' }>;
    const sent = s.steps[1].sent[0] as Extract<FrontendMessage, { type: 'PasswordMessage' }>;
    expect(md5Password(s.user, s.password!, challenge.salt, nodeAuthCrypto)).toBe(sent.password);
    expect(s.steps[1].messages[0]).toEqual({ type: 'AuthenticationOk' });
  });
});
