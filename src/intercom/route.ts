/**
 * The route of a request path: which of the client's fixed routes it is, as a template with its ids
 * replaced (`/conversations/{id}`), so that metrics and logs carry a bounded set of labels whatever ids
 * Intercom or the user send (see README "Operations").
 */

/**
 * Every path the connector requests, as templates: a `{…}` segment stands for any one segment (an id),
 * any other segment must match exactly. Literal routes come before the templates that would also match
 * them (`/contacts/search` before `/contacts/{id}`).
 */
export const ROUTES: readonly string[] = [
  '/me',
  '/admins',
  '/teams',
  '/tags',
  '/segments',
  '/data_attributes',
  '/contacts',
  '/contacts/search',
  '/contacts/find_by_external_id/{external_id}',
  '/contacts/{id}',
  '/contacts/{id}/archive',
  '/contacts/{id}/unarchive',
  '/contacts/{id}/notes',
  '/contacts/{id}/tags',
  '/contacts/{id}/companies',
  '/contacts/{id}/segments',
  '/conversations',
  '/conversations/search',
  '/conversations/{id}',
  '/tickets',
  '/tickets/search',
  '/tickets/{id}',
  '/companies',
  '/companies/scroll',
  '/companies/{id}',
  '/articles',
  '/articles/{id}',
  '/help_center/collections',
  '/help_center/collections/{id}',
];

/** The label of every path that is none of {@link ROUTES}. */
export const OTHER_ROUTE = 'other';

const TEMPLATES = ROUTES.map((route) => ({ route, segments: route.split('/') }));

function matches(template: readonly string[], segments: readonly string[]): boolean {
  if (template.length !== segments.length) return false;
  return template.every((t, i) => (t.startsWith('{') ? segments[i] !== '' : t === segments[i]));
}

/**
 * The route of a request path (with or without its query): the first of {@link ROUTES} it matches,
 * else {@link OTHER_ROUTE}. Never a value taken from the path itself.
 */
export function routeOf(path: string): string {
  const segments = (path.split('?')[0] ?? '').split('/');
  return TEMPLATES.find((t) => matches(t.segments, segments))?.route ?? OTHER_ROUTE;
}
