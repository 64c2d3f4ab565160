/**
 * Formatting of instants and calendar dates in PostgreSQL's ISO text style
 * (the input the server reads back whatever its DateStyle): four-digit
 * years, ` BC` for years before 1 (PostgreSQL has no year 0: astronomical
 * year 0 is 1 BC), `+00` as the offset, always UTC.
 */

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Year, month, day of a UTC `Date`, as `YYYY-MM-DD` or `YYYY-MM-DD BC`. */
export function formatDateText(date: Date): string {
  const y = date.getUTCFullYear();
  const day = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
  return y > 0 ? day : `${day} BC`;
}

/**
 * Formats `epochMs` (+ `micros` 0..999 below the millisecond) as
 * `YYYY-MM-DD HH:MM:SS[.ffffff]+00[ BC]`; trailing zero digits of the
 * fraction are dropped as PostgreSQL does.
 */
export function formatTimestampText(epochMs: number, micros: number): string {
  const d = new Date(epochMs);
  const y = d.getUTCFullYear();
  const date = `${pad(y > 0 ? y : 1 - y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  const frac = d.getUTCMilliseconds() * 1000 + micros;
  const fraction = frac === 0 ? '' : `.${pad(frac, 6)}`.replace(/0+$/, '');
  return `${date} ${time}${fraction}+00${y > 0 ? '' : ' BC'}`;
}
