import { rand } from '../rng';
import { type RenderContext, STREAM_CODE, linked, times } from './context';
import { sentence } from './vocab';

/** A help-center article as GET /articles lists it. `updated_at` reflects the default language. */
export function renderArticle(ctx: RenderContext, row: number): Record<string, unknown> {
  const { created, updated } = times(ctx, 'articles', row);
  const version = ctx.table('articles').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.articles, row);
  const now = rand(ctx.seed, STREAM_CODE.articles, row, version + 1);
  const id = ctx.id('articles', row);
  const title = `How to ${sentence((n) => who.int(n), 3)}`;
  const collectionRow = linked(ctx.size.collections, who.int(1 << 30));
  const adminRow = linked(ctx.size.admins, who.int(1 << 30)) ?? 0;
  return {
    type: 'article',
    id,
    workspace_id: ctx.workspaceId,
    title,
    description: sentence((n) => now.int(n), 6),
    body: `<p>${sentence((n) => now.int(n), 40)}</p>`,
    author_id: Number(ctx.id('admins', adminRow)),
    state: now.bool(0.8) ? 'published' : 'draft',
    created_at: created,
    updated_at: updated,
    url: `https://help.example.com/en/articles/${id}`,
    parent_id: collectionRow === undefined ? null : Number(ctx.id('help_center_collections', collectionRow)),
    parent_ids: collectionRow === undefined ? [] : [Number(ctx.id('help_center_collections', collectionRow))],
    parent_type: collectionRow === undefined ? null : 'collection',
    default_locale: 'en',
    tags: { type: 'tag.list', tags: [] },
  };
}

/**
 * An article's `statistics`, which GET /articles/{id} adds to the listed article: views and reactions
 * derived from (seed, row, version), reaction percentages that add up to 100 (0 without reactions).
 */
export function articleStatistics(ctx: RenderContext, row: number): Record<string, unknown> {
  const version = ctx.table('articles').version[row] as number;
  const r = rand(ctx.seed, STREAM_CODE.articles, row, version + 1, 0x57a7);
  const views = r.int(5000);
  const reactions = Math.min(views, r.int(200));
  const happy = reactions === 0 ? 0 : r.between(0, 100);
  const neutral = reactions === 0 ? 0 : r.between(0, 100 - happy);
  return {
    type: 'article_statistics',
    views,
    conversions: Math.min(views, r.int(50)),
    reactions,
    happy_reaction_percentage: happy,
    neutral_reaction_percentage: neutral,
    sad_reaction_percentage: reactions === 0 ? 0 : 100 - happy - neutral,
  };
}

/** A help-center collection as GET /help_center/collections lists it. */
export function renderCollection(ctx: RenderContext, row: number): Record<string, unknown> {
  const { created, updated } = times(ctx, 'help_center_collections', row);
  const version = ctx.table('help_center_collections').version[row] as number;
  const who = rand(ctx.seed, STREAM_CODE.help_center_collections, row);
  const now = rand(ctx.seed, STREAM_CODE.help_center_collections, row, version + 1);
  const id = ctx.id('help_center_collections', row);
  return {
    id,
    type: 'collection',
    workspace_id: ctx.workspaceId,
    name: `Guides: ${sentence((n) => who.int(n), 2)}`,
    description: sentence((n) => now.int(n), 8),
    created_at: created,
    updated_at: updated,
    url: `https://help.example.com/en/collections/${id}`,
    icon: 'book-bookmark',
    order: row + 1,
    default_locale: 'en',
    parent_id: null,
    help_center_id: 1,
  };
}
