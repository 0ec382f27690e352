// RFC 6238 TOTP (SHA-1, 30-second steps, 6 digits), as an authenticator
// app computes it from the base32 secret gqlauth shows at enrollment, with
// node:crypto alone: the tests check the server against the RFC, not
// against the library the server uses.
import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes RFC 4648 base32 (no padding needed). */
export function base32Decode(s) {
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '').toUpperCase()) {
    const i = ALPHABET.indexOf(c);
    if (i < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of secret at time ms (default now). */
export function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f; // RFC 4226 dynamic truncation
  const n = mac.readUInt32BE(off) & 0x7fffffff;
  return String(n % 1_000_000).padStart(6, '0');
}

/** The code of the time step after now's: accepted (one step of skew) once now's is used. */
export const nextTotp = (secret) => totp(secret, Date.now() + 30_000);
