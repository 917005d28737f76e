/**
 * Intercom's webhook signature (README, "Webhooks"): `X-Hub-Signature: sha1=<hex>`, the HMAC-SHA1 of the
 * raw request body keyed by the app's client secret. Pure: bytes and secrets in, a verdict out.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Intercom signs with (lower case, as Node's `req.headers` has it). */
export const SIGNATURE_HEADER = 'x-hub-signature';

/** What a signature check found: `ok` (one of the secrets signed this body) or why not. */
export type SignatureVerdict = 'ok' | 'unsigned' | 'malformed_signature' | 'forged';

const SHA1_BYTES = 20;
const HEADER = /^sha1=([0-9a-fA-F]{40})$/;

/** `sha1=<hex>` for `body` under `secret`: what Intercom sends (the simulator signs with it). */
export function sign(body: Buffer | string, secret: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

/**
 * Checks `header` against the HMAC of `body` under each of `secrets` (the current client secret and,
 * during a rotation, the previous one; empty ones are skipped). Every secret is tried, whichever
 * matches, and each comparison is `timingSafeEqual` over 20 bytes, so the time taken says nothing of
 * how much of a guess was right. Never throws; never includes a secret or a digest in what it returns.
 */
export function verifySignature(
  body: Buffer,
  header: string | string[] | undefined,
  secrets: readonly string[],
): SignatureVerdict {
  if (header === undefined || header === '') return 'unsigned';
  const match = typeof header === 'string' ? HEADER.exec(header.trim()) : null;
  if (!match) return 'malformed_signature';
  const given = Buffer.from(match[1] as string, 'hex');
  let ok = false;
  for (const secret of secrets) {
    if (secret === '') continue;
    const expected = createHmac('sha1', secret).update(body).digest();
    // Both are 20 bytes: the header's pattern fixes the length of `given`.
    if (given.length === SHA1_BYTES && timingSafeEqual(expected, given)) ok = true;
  }
  return ok ? 'ok' : 'forged';
}
