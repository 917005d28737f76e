/**
 * The route of a request path: its shape with every id segment replaced by `{id}`, so that metrics
 * and logs carry a bounded set of labels (`/conversations/{id}`, never one label per conversation).
 * Intercom ids are numeric or hexadecimal; any segment holding a digit is taken for an id, since no
 * endpoint name contains one.
 */
export function routeOf(path: string): string {
  const bare = path.split('?')[0] ?? '';
  const segments = bare.split('/');
  return segments
    .map((segment, i) =>
      // An external id is the user's own string (often no digit, sometimes an email): never a label.
      segments[i - 1] === 'find_by_external_id' ? '{external_id}' : /\d/.test(segment) ? '{id}' : segment,
    )
    .join('/');
}
