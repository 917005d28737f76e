import type { MutationEngine } from '../mutations';
import type { Workspace } from '../workspace';
import type { CompanyScroll } from './scroll';

/** What the simulator's route handlers are given (routes.ts, contact-writes.ts), and a route. */

/** What a route handler may use. */
export interface ApiContext {
  ws: Workspace;
  /** Writes go through it, so the ground-truth log records them. */
  engine: MutationEngine;
  nowMs: number;
  searchLagMs: number;
  dayTimezone: string;
  scroll: CompanyScroll;
  query: URLSearchParams;
  body: unknown;
  params: string[];
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT';
  /** Route name for stats, e.g. `GET /conversations/{id}`. */
  name: string;
  pattern: RegExp;
  handle(ctx: ApiContext): Record<string, unknown>;
}
