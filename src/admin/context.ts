import type { FastifyInstance } from 'fastify';
import type { Softswitch } from '../switch.js';
import type { SswMetrics } from '../metrics/index.js';
import type { ParamAdmin } from './params.js';
import type { CpsSampler } from './perf.js';
import type { CallFlows } from './analysis.js';
import { ERROR_SCHEMA } from './errors.js';

/** What route modules get: the switch and the admin room's helpers. */
export interface AdminContext {
  readonly sw: Softswitch;
  readonly metrics: SswMetrics;
  readonly params: ParamAdmin;
  readonly cps: CpsSampler;
  readonly startedMono: number;
  /** The flows of the last finished calls (call analysis). */
  readonly flows: CallFlows;
  /** The OpenAPI document of every registered route (built on first use). */
  openapi(): Record<string, unknown>;
}

export type RouteModule = (app: FastifyInstance, ctx: AdminContext) => void;

/** Error responses for a route: the codes it can answer besides its success (401/429 always). */
export function errorResponses(...codes: number[]): Record<string, typeof ERROR_SCHEMA> {
  const out: Record<string, typeof ERROR_SCHEMA> = {};
  for (const c of [...codes, 401, 429]) out[String(c)] = ERROR_SCHEMA;
  return out;
}

// Documentation keys on route schemas, read by the OpenAPI generator (fastify ignores them).
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: readonly string[];
    produces?: string;
  }
}
