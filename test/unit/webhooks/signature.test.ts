import crypto, { createHmac } from 'node:crypto';
import { sign, verifySignature } from '../../../src/webhooks/signature';

const body = Buffer.from('{"type":"notification_event","id":"notif_1"}');
const secret = 'current-secret';
const previous = 'previous-secret';
const hex = (s: string) => createHmac('sha1', s).update(body).digest('hex');

describe('the webhook signature', () => {
  it('is sha1=<hex> of the HMAC-SHA1 of the raw body under the client secret', () => {
    expect(sign(body, secret)).toBe(`sha1=${hex(secret)}`);
    expect(verifySignature(body, `sha1=${hex(secret)}`, [secret])).toBe('ok');
    expect(verifySignature(body, `sha1=${hex(secret).toUpperCase()}`, [secret])).toBe('ok');
  });

  it('accepts the current and the previous secret during a rotation, and nothing else', () => {
    expect(verifySignature(body, sign(body, secret), [secret, previous])).toBe('ok');
    expect(verifySignature(body, sign(body, previous), [secret, previous])).toBe('ok');
    expect(verifySignature(body, sign(body, previous), [secret])).toBe('forged');
    expect(verifySignature(body, sign(body, 'someone-else'), [secret, previous])).toBe('forged');
    // An empty secret (no previous one configured) is never a key that signs.
    expect(verifySignature(body, sign(body, ''), [secret, ''])).toBe('forged');
  });

  it('refuses a changed body, a missing header and a header not of the form sha1=<40 hex>', () => {
    expect(verifySignature(Buffer.from(`${body.toString()} `), sign(body, secret), [secret])).toBe('forged');
    expect(verifySignature(body, undefined, [secret])).toBe('unsigned');
    expect(verifySignature(body, '', [secret])).toBe('unsigned');
    for (const bad of [
      hex(secret),
      `sha256=${hex(secret)}`,
      `sha1=${hex(secret).slice(2)}`,
      'sha1=zz',
      [sign(body, secret)],
    ])
      expect(verifySignature(body, bad, [secret])).toBe('malformed_signature');
  });

  it('compares in constant time: timingSafeEqual once per secret, for a near miss as for a hit or a wild guess', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const right = hex(secret);
      const nearMiss = `sha1=${right.slice(0, 39)}${right[39] === '0' ? '1' : '0'}`;
      const calls = (header: string) => {
        spy.mockClear();
        const verdict = verifySignature(body, header, [secret, previous]);
        return { verdict, compared: spy.mock.calls.length };
      };
      expect(calls(`sha1=${right}`)).toEqual({ verdict: 'ok', compared: 2 });
      expect(calls(nearMiss)).toEqual({ verdict: 'forged', compared: 2 });
      expect(calls(`sha1=${'0'.repeat(40)}`)).toEqual({ verdict: 'forged', compared: 2 });
    } finally {
      spy.mockRestore();
    }
  });
});
