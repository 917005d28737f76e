import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createIntercomClient } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { silentLogger } from '../../../src/logger';

const dir = mkdtempSync(path.join(tmpdir(), 'cdc-app-'));

describe('the Intercom client from configuration', () => {
  it('names the token file the configuration was loaded from, not the process environment', () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'two words\n');
    const config = loadConfig({ env: { INTERCOM_TOKEN_FILE: file } });
    delete process.env.INTERCOM_TOKEN_FILE;
    let error: unknown;
    try {
      createIntercomClient(config, silentLogger());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`INTERCOM_TOKEN_FILE (${file}) holds more than one word`);
  });

  it('says which settings to give when there is no token', () => {
    expect(() => createIntercomClient(loadConfig({ env: {} }), silentLogger())).toThrow(
      /no Intercom token: set INTERCOM_TOKEN or INTERCOM_TOKEN_FILE/,
    );
  });
});
