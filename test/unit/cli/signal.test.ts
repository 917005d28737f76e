import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signalValue } from '../../../src/cli/signal';
import { ConfigError } from '../../../src/errors';

describe('signal --stream …', () => {
  it('writes the execute-snapshot signal its flags ask for', () => {
    expect(JSON.parse(signalValue({ stream: 'contacts,companies' }, 's1'))).toEqual({
      id: 's1',
      type: 'execute-snapshot',
      data: { 'data-collections': ['contacts', 'companies'] },
    });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'signal-')), 'ids.txt');
    writeFileSync(file, 'c\n\nd\r\n');
    expect(JSON.parse(signalValue({ stream: 'contacts', ids: 'a, b', idsFile: file }, 's2')).data).toEqual({
      'data-collections': ['contacts'],
      ids: ['a', 'b', 'c', 'd'],
    });
    expect(
      JSON.parse(signalValue({ stream: 'contacts', since: '2024-05-01', until: '2024-05-01' }, 's3')).data,
    ).toEqual({
      'data-collections': ['contacts'],
      'updated-at': { since: '2024-05-01T00:00:00.000Z', until: '2024-05-01T23:59:59.999Z' },
    });
  });

  it('refuses at once what the connector would refuse, as a configuration error', () => {
    expect(() => signalValue({ stream: 'conversation_parts' }, 's')).toThrow(ConfigError);
    expect(() => signalValue({ stream: 'contacts,admins', ids: '1' }, 's')).toThrow(/exactly one/);
    expect(() => signalValue({ stream: 'contacts', until: 'soon' }, 's')).toThrow(
      /--until soon is not a date/,
    );
    expect(() => signalValue({ stream: '' }, 's')).toThrow(/data-collections/);
  });
});
