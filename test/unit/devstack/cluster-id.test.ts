import { clusterId } from '../../../src/devstack/local';

describe('KRaft cluster id', () => {
  it('is 22 URL-safe base64 characters that never start with "-" (read as an option by the storage tool)', () => {
    const ids = Array.from({ length: 5000 }, clusterId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
