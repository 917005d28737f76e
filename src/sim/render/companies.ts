import { rand } from '../rng';
import { customAttributes } from './attributes';
import { type RenderContext, STREAM_CODE, times } from './context';
import { INDUSTRIES, LAST_NAMES, PLACES, PLANS } from './vocab';

const DAY = 86_400;

/** A company as GET /companies, POST /companies/list and the scroll return it. */
export function renderCompany(ctx: RenderContext, row: number): Record<string, unknown> {
  const { created, updated } = times(ctx, 'companies', row);
  const version = ctx.table('companies').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.companies, row);
  const now = rand(ctx.seed, STREAM_CODE.companies, row, version + 1);
  const name = `${who.pick(LAST_NAMES)} ${who.pick(['Labs', 'Group', 'GmbH', 'Inc', 'Ltd', 'AS'])}`;
  const plan = who.int(PLANS.length);
  const attributes: Record<string, string> = {};
  for (const spec of customAttributes(ctx, 'company')) {
    attributes[spec.name] = spec.name === 'region' ? who.pick(PLACES)[0] : who.pick(PLANS);
  }
  return {
    type: 'company',
    id: ctx.id('companies', row),
    name,
    app_id: ctx.workspaceId,
    plan: { type: 'plan', id: String(1000 + plan), name: PLANS[plan] },
    company_id: `remote-${row}`,
    remote_created_at: created - who.int(365) * DAY,
    created_at: created,
    updated_at: updated,
    last_request_at: Math.max(created, updated - now.int(14 * DAY)),
    size: who.between(1, 5000),
    website: `https://www.${name
      .split(' ')[0]
      ?.toLowerCase()
      .replace(/[^a-z]/g, '')}.example`,
    industry: who.pick(INDUSTRIES),
    monthly_spend: now.between(0, 20_000),
    session_count: now.between(0, 10_000),
    user_count: now.between(0, 300),
    custom_attributes: attributes,
    tags: { type: 'tag.list', tags: [] },
    segments: { type: 'segment.list', segments: [] },
  };
}
