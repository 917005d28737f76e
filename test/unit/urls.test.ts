import { loadConfig, maskedConfig } from '../../src/config';
import { credentialsOf, textWithoutCredentials, withoutCredentials } from '../../src/urls';

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
