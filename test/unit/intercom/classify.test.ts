import {
  classify,
  failureKindOf,
  MALFORMED_BODY,
  OUTCOME_RULES,
  ruleFor,
} from '../../../src/intercom/classify';

describe('outcome table', () => {
  it.each([
    [429, 'rate_limited'],
    [401, 'config'],
    [403, 'config'],
    [404, 'ignore'],
    [400, 'system'],
    [422, 'system'],
    [409, 'system'],
    [408, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [501, 'system'],
  ] as const)('status %d → %s', (status, action) => {
    expect(classify({ status })).toBe(action);
  });

  it.each([
    ['ECONNRESET', 'retry'],
    ['ECONNREFUSED', 'retry'],
    ['ECONNABORTED', 'retry'],
    ['ETIMEDOUT', 'retry'],
    ['EPIPE', 'retry'],
    [MALFORMED_BODY, 'retry'],
    ['ERR_BAD_RESPONSE', 'retry'],
    ['ENOTFOUND', 'config'],
    ['ERR_CANCELED', 'system'],
  ] as const)('transport code %s → %s', (errorCode, action) => {
    expect(classify({ errorCode })).toBe(action);
  });

  it('treats an error without status or known code as a programming error, never retried', () => {
    expect(classify({})).toBe('system');
    expect(classify({ errorCode: 'TypeError' })).toBe('system');
  });

  it('decides by status when there is one, whatever the Intercom code says', () => {
    expect(classify({ status: 401, errorCode: 'ECONNRESET' })).toBe('config');
    expect(classify({ status: 503, errorCode: 'service_unavailable' })).toBe('retry');
  });

  it('names the token settings in the 401 hint and the fix in the 403 hint', () => {
    expect(ruleFor({ status: 401 }).hint).toMatch(/INTERCOM_TOKEN\b.*INTERCOM_TOKEN_FILE/);
    expect(ruleFor({ status: 403 }).hint).toMatch(/permissions/);
    expect(ruleFor({ status: 401 }).code).toBe('unauthorized');
  });

  it('waits out a busy scroll only on the request that opens one', () => {
    expect(classify({ status: 400, opensScroll: true })).toBe('busy');
    expect(classify({ status: 409, opensScroll: true })).toBe('busy');
    expect(classify({ status: 500, opensScroll: true })).toBe('retry');
    expect(classify({ status: 401, opensScroll: true })).toBe('config');
    expect(classify({ status: 400, opensScroll: false })).toBe('system');
    // Once its waits are spent, a busy scroll fails as the refused request it is.
    expect(ruleFor({ status: 400, opensScroll: true }).code).toBe('bad_request');
    expect(failureKindOf('busy')).toBe('system');
  });

  it('marks the 401 row as the one a token refresh may turn around', () => {
    expect(OUTCOME_RULES.filter((r) => r.refreshToken).map((r) => r.statuses)).toEqual([[401]]);
  });

  it('maps actions to failure kinds', () => {
    expect(failureKindOf('config')).toBe('config');
    expect(failureKindOf('retry')).toBe('transient');
    expect(failureKindOf('rate_limited')).toBe('transient');
    expect(failureKindOf('system')).toBe('system');
    expect(failureKindOf('ignore')).toBe('system');
  });
});
