/**
 * Validation of single keyword values: integers, ports, enumerations and
 * booleans, each failing with a ConfigurationError that names the keyword.
 */

import { LATEST_PROTOCOL_VERSION, type ProtocolVersion } from '../protocol/versions';
import { configError, quoteValue } from './errors';

/** Parses an integer the way libpq does (surrounding whitespace allowed, nothing else). */
export function parseInteger(keyword: string, value: string): number {
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text)) {
    throw configError(`invalid integer value ${quoteValue(keyword, value)} for connection option "${keyword}"`);
  }
  return Number(text);
}

/** Parses a TCP port: an integer from 1 to 65535; an empty value is the default port 5432. */
export function parsePort(value: string | number): number {
  const text = String(value).trim();
  if (text === '') return 5432;
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw configError(`invalid port number: ${JSON.stringify(text.slice(0, 60))}`);
  return port;
}

/** Checks `value` is one of `allowed`. */
export function parseEnum<T extends string>(keyword: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw configError(`invalid ${keyword} value: ${quoteValue(keyword, value)} (expected one of ${allowed.join(', ')})`);
}

/** Parses libpq 18's `min_protocol_version` / `max_protocol_version`: '3.0', '3.2', or 'latest' (3.2). */
export function parseProtocolVersion(keyword: string, value: string): ProtocolVersion {
  const v = parseEnum(keyword, value, ['3.0', '3.2', 'latest'] as const);
  return v === 'latest' ? LATEST_PROTOCOL_VERSION : v;
}

/** Parses libpq's 0/1 switches. */
export function parseSwitch(keyword: string, value: string): boolean {
  return parseEnum(keyword, value.trim(), ['0', '1']) === '1';
}

/**
 * libpq's `connect_timeout`: whole seconds; zero or negative means no timeout;
 * 1 is raised to 2 (libpq's minimum). Returns milliseconds or undefined.
 */
export function parseConnectTimeout(value: string): number | undefined {
  const seconds = parseInteger('connect_timeout', value);
  if (seconds <= 0) return undefined;
  return Math.max(seconds, 2) * 1000;
}

/** Parses a non-negative integer count of seconds into milliseconds. */
export function parseSeconds(keyword: string, value: string): number {
  return parseNonNegative(keyword, value) * 1000;
}

/** Parses a non-negative integer. */
export function parseNonNegative(keyword: string, value: string): number {
  const n = parseInteger(keyword, value);
  if (n < 0) throw configError(`invalid value ${quoteValue(keyword, value)} for connection option "${keyword}": must not be negative`);
  return n;
}
