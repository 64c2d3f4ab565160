/**
 * `require_auth` (libpq 16): which authentication methods the client lets
 * the server use.
 *
 * Theory of operation. The keyword is a comma list of methods (`password`,
 * `md5`, `gss`, `sspi`, `scram-sha-256`, `none`), all plain (the server must
 * use one of them) or all negated with `!` (it must use none of them).
 * {@link parseRequireAuth} turns it into the set of allowed methods, refusing
 * what libpq refuses (unknown names, a mix of plain and negated, a method
 * named twice). The {@link Authenticator} asks {@link checkAuthMethod} on
 * each request the server makes, and on AuthenticationOk with `none` when
 * the server asked for nothing (trust, peer): a method outside the set ends
 * the connection before any credential is sent, with libpq's message.
 */
import { ConfigurationError, ConnectionError } from '../errors/base';

/** An authentication method `require_auth` can name. */
export type AuthMethod = 'password' | 'md5' | 'gss' | 'sspi' | 'scram-sha-256' | 'none';

const METHODS: readonly AuthMethod[] = ['password', 'md5', 'gss', 'sspi', 'scram-sha-256', 'none'];

/** What libpq says the server asked for, per method. */
const REQUESTED: Record<AuthMethod, string> = {
  password: 'a cleartext password',
  md5: 'a hashed password',
  gss: 'GSSAPI authentication',
  sspi: 'SSPI authentication',
  'scram-sha-256': 'SASL authentication',
  none: 'no authentication',
};

/** A parsed `require_auth`: the methods allowed, and the text as given (for messages). */
export interface AuthRequirement {
  readonly allowed: ReadonlySet<AuthMethod>;
  readonly text: string;
}

/** Parses a `require_auth` value; throws a ConfigurationError as libpq refuses it. */
export function parseRequireAuth(text: string): AuthRequirement {
  const entries = text.split(',').map((e) => e.trim());
  const negated = entries.map((e) => e.startsWith('!'));
  if (negated.some((n) => n !== negated[0])) {
    throw new ConfigurationError(`negative require_auth methods cannot be mixed with non-negative ones ("${text}")`);
  }
  const named = new Set<AuthMethod>();
  for (const entry of entries) named.add(methodOf(entry.replace(/^!/, ''), named));
  const allowed = negated[0] ? new Set(METHODS.filter((m) => !named.has(m))) : named;
  return { allowed, text };
}

function methodOf(name: string, seen: ReadonlySet<AuthMethod>): AuthMethod {
  const method = METHODS.find((m) => m === name);
  if (method === undefined) throw new ConfigurationError(`invalid require_auth method: "${name.slice(0, 40)}"`);
  if (seen.has(method)) throw new ConfigurationError(`require_auth method "${method}" is specified more than once`);
  return method;
}

/** Throws `ERR_AUTH_REQUIREMENT` when `method` is not allowed by `req` (no requirement: everything is). */
export function checkAuthMethod(req: AuthRequirement | undefined, method: AuthMethod): void {
  if (req === undefined || req.allowed.has(method)) return;
  const what = method === 'none' ? 'server did not complete authentication' : `server requested ${REQUESTED[method]}`;
  throw new ConnectionError(`authentication method requirement "${req.text}" failed: ${what}`, { code: 'ERR_AUTH_REQUIREMENT' });
}
