import { webhooksFromFlags } from '../../../src/cli/sim';
import { ConfigError } from '../../../src/errors';
import { signBody, topicOf } from '../../../src/sim/webhooks';
import type { ChangeRecord } from '../../../src/sim';

const change = (stream: ChangeRecord['stream'], op: ChangeRecord['op']): ChangeRecord => ({
  seq: 1,
  stream,
  id: 'x',
  op,
  updatedAt: null,
  atMs: 0,
});

describe("the simulator's webhooks", () => {
  it("names each change by Intercom's topic, leads apart, and sends none for what Intercom does not notify", () => {
    expect(topicOf(change('contacts', 'c'), { role: 'user' })).toBe('contact.user.created');
    expect(topicOf(change('contacts', 'u'), { role: 'lead' })).toBe('contact.lead.updated');
    expect(topicOf(change('contacts', 'd'), undefined)).toBe('contact.deleted');
    expect(topicOf(change('conversations', 'u'), {})).toBe('conversation.admin.replied');
    expect(topicOf(change('companies', 'd'), undefined)).toBe('company.deleted');
    expect(topicOf(change('companies', 'u'), {})).toBe('company.updated');
    expect(topicOf(change('tickets', 'c'), {})).toBe('ticket.created');
    expect(topicOf(change('tickets', 'u'), {})).toBe('ticket.state.updated');
    // Intercom has no topic for a ticket's deletion.
    expect(topicOf(change('tickets', 'd'), undefined)).toBeUndefined();
    expect(topicOf(change('conversation_parts', 'c'), {})).toBeUndefined();
    expect(topicOf(change('tags', 'c'), {})).toBeUndefined();
  });

  it('signs as Intercom does: sha1= and the HMAC-SHA1 hex of the body', () => {
    // HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog"), RFC 2104's usual test vector.
    expect(signBody('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9',
    );
  });

  it('are configured from the sim flags: none without a URL, a secret required, rates within 0 to 1', () => {
    const flags = {
      webhookDelayMs: 0,
      webhookJitterMs: 500,
      webhookDuplicateRate: 0.1,
      webhookForgedRate: 0,
    };
    expect(webhooksFromFlags(flags, {})).toBeUndefined();
    expect(
      webhooksFromFlags(
        { ...flags, webhookUrl: 'http://127.0.0.1:8090/webhooks' },
        { SIM_WEBHOOK_SECRET: 's' },
      ),
    ).toEqual({
      url: 'http://127.0.0.1:8090/webhooks',
      secret: 's',
      faults: { delayMs: 0, jitterMs: 500, duplicateRate: 0.1, forgedRate: 0 },
    });
    expect(() => webhooksFromFlags({ ...flags, webhookUrl: 'http://h/w' }, {})).toThrow(ConfigError);
    expect(() =>
      webhooksFromFlags({ ...flags, webhookUrl: 'http://h/w', webhookSecret: 's', webhookForgedRate: 2 }, {}),
    ).toThrow(/--webhook-forged-rate must be between 0 and 1/);
  });
});
