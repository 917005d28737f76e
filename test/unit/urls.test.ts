import { loadConfig, maskedConfig } from '../../src/config';
import {
  credentialsOf,
  textWithoutCredentials,
  valueWithoutCredentials,
  withoutCredentials,
} from '../../src/urls';

describe('URLs without credentials', () => {
  it('drops user and password from a URL, and keeps the rest', () => {
    expect(withoutCredentials('https://u:pw_1@registry.example:8081/apis/ccompat/v7')).toBe(
      'https://registry.example:8081/apis/ccompat/v7',
    );
    expect(withoutCredentials('http://only-user@h:1/')).toBe('http://h:1');
    expect(withoutCredentials('http://127.0.0.1:8081')).toBe('http://127.0.0.1:8081');
  });

  it('drops them from text too, an @ in the password included, and from what is not a URL', () => {
    expect(textWithoutCredentials('GET http://u:p@ss@h/x failed; see https://a:b@c')).toBe(
      'GET http://h/x failed; see https://c',
    );
    expect(withoutCredentials('not a url://u:secret@host')).toBe('not a url://host');
    expect(textWithoutCredentials('no URL here: a@b')).toBe('no URL here: a@b');
  });

  it('reads the credentials a URL carries, percent-decoded', () => {
    expect(credentialsOf('https://me:p%40ss@h')).toEqual({ username: 'me', password: 'p@ss' });
    expect(credentialsOf('https://h')).toBeUndefined();
  });
});

describe('configuration errors', () => {
  it('show a value without user:password@, with or without a scheme, and keep an email', () => {
    expect(valueWithoutCredentials('got X="alice:pw_1@registry:8081" (environment)')).toBe(
      'got X="registry:8081" (environment)',
    );
    expect(valueWithoutCredentials('ftp://alice:pw_1@h, a@b.c')).toBe('ftp://h, a@b.c');
  });

  it('never echo the password of a registry, API or broker value that fails validation', () => {
    for (const env of [
      { SCHEMA_REGISTRY_URL: 'ftp://alice:pw_secret_4@registry:8081' },
      { SCHEMA_REGISTRY_URL: 'alice:pw_secret_4@registry:8081' },
      { SCHEMA_REGISTRY_URL: 'http://alice:pw_secret_4@reg istry:8081' },
      { INTERCOM_BASE_URL: 'ftp://alice:pw_secret_4@api.example' },
      { KAFKA_BROKERS: 'alice:pw_secret_4@broker' },
    ]) {
      let message = '';
      try {
        loadConfig({ env });
      } catch (error) {
        message = String((error as Error).message);
      }
      expect(message).toMatch(/invalid configuration/);
      expect(message).not.toMatch(/pw_secret_4|alice/);
    }
  });
});

describe('config print', () => {
  it('shows the registry URL without its password', () => {
    const config = loadConfig({
      env: { SCHEMA_REGISTRY_URL: 'https://reg:pw_secret_9@registry.example:8081' },
    });
    const text = JSON.stringify(maskedConfig(config));
    expect(text).toContain('https://registry.example:8081');
    expect(text).not.toMatch(/pw_secret_9/);
  });
});
