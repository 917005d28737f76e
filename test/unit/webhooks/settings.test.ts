import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildWebhookReceiver, webhookSecrets } from '../../../src/app';
import { loadConfig, maskedConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';

describe('the webhook settings', () => {
  it('read the client secret from a file, keep it out of config print, and add the previous one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webhooks-'));
    writeFileSync(path.join(dir, 'secret'), 'from-a-file\n');
    const config = loadConfig({
      env: {
        WEBHOOKS_CLIENT_SECRET_FILE: path.join(dir, 'secret'),
        WEBHOOKS_PREVIOUS_CLIENT_SECRET: 'the-old-one',
      },
    });
    expect(webhookSecrets(config)).toEqual(['from-a-file', 'the-old-one']);
    const printed = JSON.stringify(maskedConfig(config));
    expect(printed).not.toContain('from-a-file');
    expect(printed).not.toContain('the-old-one');
  });

  it("fall back to the OAuth client secret (the same app's), and refuse to start without any", () => {
    expect(webhookSecrets(loadConfig({ env: { INTERCOM_OAUTH_CLIENT_SECRET: 'oauth' } }))).toEqual(['oauth']);
    expect(() => webhookSecrets(loadConfig({ env: {} }))).toThrow(ConfigError);
    expect(() => webhookSecrets(loadConfig({ env: {} }))).toThrow(/WEBHOOKS_CLIENT_SECRET/);
  });

  it('name the webhooks topic: WEBHOOKS_TOPIC (shared by workspaces), else <prefix>._webhooks', async () => {
    const topicOf = async (env: Record<string, string>) => {
      const config = loadConfig({ env: { WEBHOOKS_CLIENT_SECRET: 's', ...env } });
      const receiver = buildWebhookReceiver(config, silentLogger(), { answered: () => undefined });
      await receiver.close();
      return receiver.topic;
    };
    expect(await topicOf({ TOPIC_PREFIX: 'crm.acme' })).toBe('crm.acme._webhooks');
    expect(await topicOf({ TOPIC_PREFIX: 'crm.acme', WEBHOOKS_TOPIC: 'crm._webhooks' })).toBe(
      'crm._webhooks',
    );
  });

  it('take a path that starts with /, nothing else', () => {
    expect(loadConfig({ env: { WEBHOOKS_PATH: '/intercom/hooks' } }).webhooks.path).toBe('/intercom/hooks');
    expect(() => loadConfig({ env: { WEBHOOKS_PATH: 'hooks' } })).toThrow(/webhooks\.path/);
  });
});
