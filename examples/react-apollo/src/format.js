// Dates and user agents, shortened for tables.

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const steps = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];

/** "5 minutes ago", "now": how long ago an RFC 3339 time was. */
export function ago(iso, now = Date.now()) {
  let n = (new Date(iso).getTime() - now) / 1000;
  for (const [size, unit] of steps) {
    if (Math.abs(n) < size) return relative.format(Math.round(n), unit);
    n /= size;
  }
  return '';
}

/** A time in the reader's locale, for title attributes and tables. */
export const fullTime = (iso) => new Date(iso).toLocaleString();

/**
 * "Chrome on Linux" from a User-Agent header: enough to tell one's devices
 * apart (the full header is in the row's title). Order matters: Edge and
 * Opera say Chrome too, and Chrome says Safari.
 */
export function device(userAgent) {
  const ua = userAgent || '';
  const browser = [[/Edg\//, 'Edge'], [/OPR\//, 'Opera'], [/Firefox\//, 'Firefox'], [/Chrome\//, 'Chrome'],
    [/Safari\//, 'Safari'], [/^curl\//, 'curl'], [/node|undici/i, 'Node.js']].find(([re]) => re.test(ua))?.[1];
  const os = [[/iPhone|iPad/, 'iOS'], [/Android/, 'Android'], [/Windows/, 'Windows'], [/Mac OS X/, 'macOS'],
    [/CrOS/, 'ChromeOS'], [/Linux/, 'Linux']].find(([re]) => re.test(ua))?.[1];
  if (browser && os) return `${browser} on ${os}`;
  return browser || os || (ua ? ua.slice(0, 40) : 'Unknown device');
}
