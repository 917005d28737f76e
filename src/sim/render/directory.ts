import { rand } from '../rng';
import { type RenderContext, STREAM_CODE, times } from './context';
import { FIRST_NAMES, JOB_TITLES, LAST_NAMES, TAG_NAMES, TEAM_NAMES } from './vocab';

/** Admins, teams and tags carry no timestamps: their changes show only in their content. */

export function renderAdmin(ctx: RenderContext, row: number): Record<string, unknown> {
  const version = ctx.table('admins').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.admins, row);
  const now = rand(ctx.seed, STREAM_CODE.admins, row, version + 1);
  const name = `${who.pick(FIRST_NAMES)} ${who.pick(LAST_NAMES)}`;
  const teamIds: number[] = [];
  for (let t = 0; t < ctx.size.teams; t++) if ((row + t) % 3 === 0) teamIds.push(Number(ctx.id('teams', t)));
  return {
    type: 'admin',
    id: ctx.id('admins', row),
    name,
    email: `admin${row}@example.com`,
    job_title: version === 0 ? who.pick(JOB_TITLES) : now.pick(JOB_TITLES),
    away_mode_enabled: version > 0 && now.bool(0.3),
    away_mode_reassign: false,
    away_status_reason_id: null,
    has_inbox_seat: who.bool(0.9),
    team_ids: teamIds,
    avatar: null,
  };
}

export function renderTeam(ctx: RenderContext, row: number): Record<string, unknown> {
  const version = ctx.table('teams').version[row] as number;
  const adminIds: number[] = [];
  for (let a = 0; a < ctx.size.admins; a++)
    if ((a + row) % 3 === 0) adminIds.push(Number(ctx.id('admins', a)));
  const base = TEAM_NAMES[row % TEAM_NAMES.length] as string;
  return {
    type: 'team',
    id: ctx.id('teams', row),
    name: version === 0 ? base : `${base} ${version + 1}`,
    admin_ids: adminIds,
    assignment_limit: null,
    distribution_method: row % 2 === 0 ? 'round_robin' : null,
  };
}

export function renderTag(ctx: RenderContext, row: number): Record<string, unknown> {
  const version = ctx.table('tags').version[row] as number;
  const base = TAG_NAMES[row % TAG_NAMES.length] as string;
  const name = row < TAG_NAMES.length ? base : `${base}-${row}`;
  return { type: 'tag', id: ctx.id('tags', row), name: version === 0 ? name : `${name}-v${version + 1}` };
}

export function renderSegment(ctx: RenderContext, row: number): Record<string, unknown> {
  const { created, updated } = times(ctx, 'segments', row);
  const version = ctx.table('segments').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.segments, row);
  return {
    type: 'segment',
    id: ctx.id('segments', row),
    name: `${who.pick(['Active', 'Dormant', 'New', 'Paying', 'Trial'])} ${who.pick(['users', 'leads'])} ${row}${version ? ` v${version + 1}` : ''}`,
    created_at: created,
    updated_at: updated,
    person_type: who.bool(0.7) ? 'user' : 'contact',
  };
}
