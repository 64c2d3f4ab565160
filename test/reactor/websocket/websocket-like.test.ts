/**
 * `WebSocketLike` accepts the WebSockets users have without a cast: the
 * runtime's global `WebSocket` (the DOM's type, as in browsers, Deno, Bun
 * and Node 22+), `ws`'s class, and a subclass of it. Checked with the
 * TypeScript compiler on in-memory modules: one program with the DOM lib
 * (the global), one without (`ws`), since the repository's own compiler
 * options have no DOM. A deliberately wrong constructor must still be
 * refused, so the check cannot pass by accepting everything.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const REACTOR = path.join(ROOT, 'reactor', 'index.ts');

/** The diagnostics of one in-memory module compiled against the reactor's source. */
function diagnostics(code: string, lib: string[]): string[] {
  const file = path.join(ROOT, 'test', '__ws_like__', 'check.ts');
  const options: ts.CompilerOptions = {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true, noEmit: true, skipLibCheck: true, lib: lib.map((l) => `lib.${l.toLowerCase()}.d.ts`), types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => path.resolve(f) === file || fileExists.call(host, f);
  host.readFile = (f) => (path.resolve(f) === file ? code : readFile.call(host, f));
  host.getSourceFile = (f, v, ...rest) => (path.resolve(f) === file ? ts.createSourceFile(f, code, v) : getSourceFile.call(host, f, v, ...rest));
  const program = ts.createProgram([file], options, host);
  const sf = program.getSourceFile(file);
  if (sf === undefined) throw new Error('check.ts is not in the program');
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const IMPORT = `import { WebSocketReactor, type WebSocketConstructor } from ${JSON.stringify(REACTOR.replace(/\.ts$/, ''))};`;

describe('WebSocketLike accepts real WebSocket types without a cast', () => {
  it("the runtime's global WebSocket (the DOM's type)", () => {
    const code = `${IMPORT}
const ctor: WebSocketConstructor = WebSocket;
new WebSocketReactor({ url: () => 'wss://relay.example/', WebSocket: globalThis.WebSocket });
void ctor;
`;
    expect(diagnostics(code, ['ES2022', 'DOM'])).toEqual([]);
  }, 60_000);

  it("ws's class and a subclass of it", () => {
    const code = `${IMPORT}
import WS from 'ws';
class Trusting extends WS {
  constructor(url: string, protocols?: string | string[]) { super(url, protocols, { rejectUnauthorized: false }); }
}
const a: WebSocketConstructor = WS;
const b: WebSocketConstructor = Trusting;
void a; void b;
`;
    expect(diagnostics(code, ['ES2022'])).toEqual([]);
  }, 60_000);

  it('a constructor whose sockets lack send() is refused', () => {
    const code = `${IMPORT}
class NoSend { binaryType = 'arraybuffer'; readyState = 0; onopen = null; onmessage = null; onclose = null; onerror = null; close(): void {} }
const c: WebSocketConstructor = NoSend;
void c;
`;
    expect(diagnostics(code, ['ES2022']).join('\n')).toMatch(/send/);
  }, 60_000);
});
