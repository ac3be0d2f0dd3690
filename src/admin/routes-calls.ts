import type { EndReason } from '../call/index.js';
import { monotonicMs } from '../util/time.js';
import { callView, CALL_VIEW_SCHEMA, type CallView } from './calls.js';
import { adminErrors } from './errors.js';
import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';

/**
 * The end reason of an operator hang-up. The call room has no "released by operator" reason yet,
 * so it is recorded as a server-side refusal with its own text.
 */
const ADMIN_HANGUP_REASON: EndReason = 'operator-release';
export const ADMIN_HANGUP_TEXT = 'released by operator (admin API)';

/** Current calls (the reference's current-call view) and hang-up. */
export const callRoutes: RouteModule = (app, ctx) => {
  app.get<{ Params: { flowNo: string } }>('/api/v1/cdrs/:flowNo/analysis', {
    schema: {
      summary: 'Call analysis: the flow of a finished call (numbers in each form, every carrier tried with its Call-ID, 18x and final status, answer and end times in ms from the INVITE, end reason and direction); kept for the last finished calls, older ones have their CDR', tags: ['cdrs'],
      params: { type: 'object', required: ['flowNo'], properties: { flowNo: { type: 'string', maxLength: 64 } } },
      response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(404) },
    },
  }, async (req) => {
    const flow = ctx.flows.get(req.params.flowNo);
    if (!flow) throw adminErrors.callNotFound(`no finished call ${JSON.stringify(req.params.flowNo)} among the last ${ctx.flows.capacity} kept for analysis (a call in progress is in /api/v1/calls; older calls have their CDR)`);
    return flow;
  });

  app.get<{ Querystring: { limit: number; offset: number; state?: string; gateway?: string; ingress?: string } }>('/api/v1/calls', {
    schema: {
      summary: 'Calls in progress with their set-up state, both legs and gateways', tags: ['calls'],
      querystring: {
        type: 'object',
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 },
          offset: { type: 'integer', minimum: 0, default: 0 },
          state: { type: 'string', maxLength: 40 },
          gateway: { type: 'string', maxLength: 200, description: 'routing gateway of the current attempt' },
          ingress: { type: 'string', maxLength: 200, description: 'mapping gateway' },
        },
      },
      response: {
        200: { type: 'object', required: ['total', 'calls'], properties: { total: { type: 'integer' }, calls: { type: 'array', items: CALL_VIEW_SCHEMA } } },
        ...errorResponses(400),
      },
    },
  }, async (req) => {
    const q = req.query;
    const now = monotonicMs();
    const all: CallView[] = [];
    for (const c of ctx.sw.b2bua.calls) {
      const v = callView(c, now);
      if (q.state && v.state !== q.state) continue;
      if (q.gateway && v.gateway !== q.gateway) continue;
      if (q.ingress && v.ingress.gateway !== q.ingress) continue;
      all.push(v);
    }
    return { total: all.length, calls: all.slice(q.offset, q.offset + q.limit) };
  });

  app.delete<{ Params: { flowNo: string } }>('/api/v1/calls/:flowNo', {
    schema: {
      summary: 'Hang up a call: BYE (or a final response) on both legs; the CDR is written as for any end', tags: ['calls'],
      params: { type: 'object', required: ['flowNo'], properties: { flowNo: { type: 'string', maxLength: 100 } } },
      response: { 200: { type: 'object', required: ['flowNo', 'released'], properties: { flowNo: { type: 'string' }, released: { type: 'boolean' }, wasState: { type: 'string' } } }, ...errorResponses(403, 404) },
    },
  }, async (req) => {
    const call = ctx.sw.b2bua.findCall(req.params.flowNo);
    if (!call) throw adminErrors.callNotFound(`no call in progress with flowNo ${JSON.stringify(req.params.flowNo)}`);
    const wasState = callView(call).state;
    call.hangup(ADMIN_HANGUP_REASON, ADMIN_HANGUP_TEXT);
    return { flowNo: req.params.flowNo, released: true, wasState };
  });
};
