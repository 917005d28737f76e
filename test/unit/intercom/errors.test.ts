import { inspect } from 'node:util';
import { CdcError } from '../../../src/errors';
import { IntercomError, parseErrorBody, safeCause, scrubSecrets } from '../../../src/intercom/errors';
import { ROUTES, routeOf } from '../../../src/intercom/route';

describe('IntercomError', () => {
  it('is a CdcError with the call details', () => {
    const error = new IntercomError('boom', {
      code: 'http_5xx',
      kind: 'transient',
      status: 503,
      requestId: 'r-1',
      route: '/contacts/search',
    });
    expect(error).toBeInstanceOf(CdcError);
    expect(error).toMatchObject({
      code: 'http_5xx',
      kind: 'transient',
      retriable: true,
      status: 503,
      requestId: 'r-1',
      name: 'IntercomError',
    });
  });
});

describe('secrets', () => {
  it('scrubs every occurrence of every secret', () => {
    expect(scrubSecrets('a tok_secret b tok_secret', ['tok_secret', undefined])).toBe(
      'a [redacted] b [redacted]',
    );
  });

  it('keeps only name, message and code of a cause, so no request headers ride along', () => {
    const original = Object.assign(new Error('socket hang up near tok_secret'), {
      code: 'ECONNRESET',
      config: { headers: { Authorization: 'Bearer tok_secret' } },
    });
    const cause = safeCause(original, ['tok_secret']);
    expect(cause).toMatchObject({ message: 'socket hang up near [redacted]', code: 'ECONNRESET' });
    expect(inspect(cause, { depth: 10 })).not.toContain('tok_secret');
  });
});

describe('parseErrorBody', () => {
  it('reads Intercom error lists', () => {
    const body = {
      type: 'error.list',
      request_id: 'req-9',
      errors: [{ code: 'token_unauthorized', message: 'Not authorized' }],
    };
    expect(parseErrorBody(body)).toEqual({
      requestId: 'req-9',
      code: 'token_unauthorized',
      message: 'Not authorized',
    });
  });

  it('answers empty for anything else', () => {
    expect(parseErrorBody(undefined)).toEqual({});
    expect(parseErrorBody('<html>')).toEqual({});
    expect(parseErrorBody({ errors: 'x' })).toEqual({
      requestId: undefined,
      code: undefined,
      message: undefined,
    });
  });
});

describe('routeOf', () => {
  it('replaces ids so that labels stay bounded', () => {
    expect(routeOf('/conversations/123456')).toBe('/conversations/{id}');
    expect(routeOf('/contacts/5f7b1c9e3a2b1c0012345678/notes')).toBe('/contacts/{id}/notes');
    expect(routeOf('/help_center/collections?page=2')).toBe('/help_center/collections');
    expect(routeOf('/contacts/search')).toBe('/contacts/search');
  });

  it('never turns an external id into a label, digits or not', () => {
    expect(routeOf('/contacts/find_by_external_id/alice%40example.com')).toBe(
      '/contacts/find_by_external_id/{external_id}',
    );
    expect(routeOf('/contacts/find_by_external_id/u-42')).toBe('/contacts/find_by_external_id/{external_id}');
  });
});

describe('routeOf: labels from a fixed list', () => {
  it('never turns an id made of letters into a label', () => {
    expect(routeOf('/contacts/abcdef')).toBe('/contacts/{id}');
    expect(routeOf('/conversations/lettersonly')).toBe('/conversations/{id}');
    expect(routeOf('/companies/acme/notes')).toBe('other');
  });

  it('puts any path outside the client routes into one bucket', () => {
    const labels = new Set(['/x', '/zzz/yyy', '/contacts/a/b/c', '/', ''].map(routeOf));
    expect([...labels]).toEqual(['other']);
    expect(ROUTES.every((route) => routeOf(route) === route)).toBe(true);
  });
});
