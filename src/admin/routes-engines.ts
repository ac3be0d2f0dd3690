import { PassThrough } from 'node:stream';
import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';
import { adminErrors } from './errors.js';
import { DialPlan, validateRules, type DialRule } from '../dialplan/index.js';
import { NetworkPolicy } from '../call/index.js';
import { formatMoney, parseMoney } from '../billing/index.js';
import { isSswError } from '../util/errors.js';
import type { CdrRecord } from '../cdr/index.js';

const RULES = { type: 'array', maxItems: 100_000, items: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: { type: 'string', maxLength: 200 }, to: { type: 'string', maxLength: 2000 } } } } as const;
const EXPLAIN_VIEW = {
  type: 'object',
  properties: {
    number: { type: 'string' }, output: { type: 'string' }, matched: { type: 'integer' },
    rule: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
    candidates: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, matches: { type: 'boolean' }, why: { type: 'string' } } } },
    warnings: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, message: { type: 'string' } } } },
  },
} as const;
const CDR_QUERY = {
  type: 'object',
  required: ['from', 'to'],
  properties: {
    from: { type: 'integer', description: 'start of the range, epoch ms' }, to: { type: 'integer', description: 'end of the range, epoch ms' },
    account: { type: 'string' }, gateway: { type: 'string' }, callerPrefix: { type: 'string' }, calleePrefix: { type: 'string' }, endReason: { type: 'string' },
    page: { type: 'integer', minimum: 1 }, pageSize: { type: 'integer', minimum: 1, maximum: 100_000 },
  },
} as const;
type CdrQuery = { from: number; to: number; account?: string; gateway?: string; callerPrefix?: string; calleePrefix?: string; endReason?: string; page?: number; pageSize?: number };

/** Explain (routing, dial plans), CDR query and export, accounts and available time. */
export const engineRoutes: RouteModule = (app, ctx) => {
  const policy = (): NetworkPolicy => {
    const p = ctx.sw.policy;
    if (!(p instanceof NetworkPolicy)) throw adminErrors.notFound('this switch runs without the routing/billing engines');
    return p;
  };
  const engines = () => {
    const e = ctx.sw.engines;
    if (!e) throw adminErrors.notFound('this switch runs without a store');
    return e;
  };

  app.post<{ Body: { rules: DialRule[]; number: string } }>('/api/v1/dialplans/explain', {
    schema: {
      summary: 'What a dial-plan rule set does to a number: the output, the rule that matched, every candidate, validator warnings', tags: ['dialplans'],
      body: { type: 'object', required: ['rules', 'number'], additionalProperties: false, properties: { rules: RULES, number: { type: 'string', maxLength: 256 } } },
      response: { 200: EXPLAIN_VIEW, ...errorResponses(400, 403, 413) },
    },
  }, async (req) => explainRules(req.body.rules, req.body.number));

  app.get<{ Params: { kind: string; name: string }; Querystring: { number: string; side?: string } }>('/api/v1/gateways/:kind/:name/dialplan', {
    schema: {
      summary: 'What a configured gateway\'s dial plan (callee or caller rules) does to a number', tags: ['dialplans'],
      params: { type: 'object', required: ['kind', 'name'], properties: { kind: { type: 'string', enum: ['mapping', 'routing'] }, name: { type: 'string' } } },
      querystring: { type: 'object', required: ['number'], properties: { number: { type: 'string', maxLength: 256 }, side: { type: 'string', enum: ['callee', 'caller'] } } },
      response: { 200: EXPLAIN_VIEW, ...errorResponses(400, 404) },
    },
  }, async (req) => {
    const net = ctx.sw.config.network;
    const list = req.params.kind === 'mapping' ? net.mappingGateways : net.routingGateways;
    const gw = list.find((g) => g.name === req.params.name);
    if (!gw) throw adminErrors.notFound(`no ${req.params.kind} gateway named ${JSON.stringify(req.params.name)}`);
    return explainRules(req.query.side === 'caller' ? gw.callerRules : gw.calleeRules, req.query.number);
  });

  app.get<{ Querystring: { ingress: string; number: string; time?: number } }>('/api/v1/routing/explain', {
    schema: {
      summary: 'Where a call from this mapping gateway to this number would go and why: candidates, sort keys of each step, what filtered each gateway out', tags: ['routing'],
      querystring: { type: 'object', required: ['ingress', 'number'], properties: { ingress: { type: 'string' }, number: { type: 'string', maxLength: 256 }, time: { type: 'integer', description: 'wall clock, epoch ms (schedules); default now' } } },
      response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(400, 404) },
    },
  }, async (req) => {
    const p = policy();
    const ingress = ctx.sw.config.network.mappingGateways.find((g) => g.name === req.query.ingress);
    if (!ingress) throw adminErrors.notFound(`no mapping gateway named ${JSON.stringify(req.query.ingress)}`);
    const billed = p.billedCallee(ingress.name, req.query.number);
    const r = p.explain({ ingress, callee: { received: req.query.number, billed, sent: '' }, params: ctx.sw.b2bua.params }, req.query.time ?? Date.now());
    return {
      ingress: ingress.name, number: req.query.number, calleeAfterDialPlan: billed, steps: r.steps, endReason: r.endReason,
      candidates: r.candidates.map((c) => ({ gateway: c.gateway.name, prefix: c.prefix, keys: c.keys, vendorRate: c.vendorRate })),
      considered: r.considered.map((c) => ({ gateway: c.gateway.name, prefix: c.prefix, keys: c.keys, filtered: c.filtered, rank: c.rank })),
    };
  });

  app.get<{ Querystring: CdrQuery }>('/api/v1/cdrs', {
    schema: {
      summary: 'CDR search across the daily tables: time range (at most SERVER_QUERY_CDR_MAX_DAY_INTERVAL days), account, gateway, number prefixes, end reason; paged', tags: ['cdrs'],
      querystring: CDR_QUERY,
      response: { 200: { type: 'object', properties: { total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' }, rows: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses(400, 404) },
    },
  }, async (req) => {
    const store = engines().store;
    if (!store) throw adminErrors.notFound('the store is not reachable right now (CDRs are journaled)');
    try {
      const page = await store.queryCdrs(req.query);
      return { total: page.total, page: page.page, pageSize: page.pageSize, rows: page.rows.map(cdrView) };
    } catch (err) {
      if (isSswError(err) && err.code.startsWith('SSW_ERR_STORE_')) throw adminErrors.validation(err.message);
      throw err;
    }
  });

  app.get<{ Querystring: { from: number; to: number } }>('/api/v1/cdrs/export', {
    schema: {
      summary: 'CSV export of every CDR in a time range', tags: ['cdrs'], produces: 'text/csv',
      querystring: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'integer' }, to: { type: 'integer' } } },
      response: { 200: { type: 'string' }, ...errorResponses(400, 404) },
    },
  }, async (req, reply) => {
    const store = engines().store;
    if (!store) throw adminErrors.notFound('the store is not reachable right now (CDRs are journaled)');
    const out = new PassThrough();
    // The store leaves its output open (a caller may append); this response ends with the export.
    store.exportCdrsCsv({ from: req.query.from, to: req.query.to }, out).then(() => out.end(), (err) => out.destroy(err as Error));
    return reply.type('text/csv').send(out);
  });

  app.get<{ Params: { id: string } }>('/api/v1/accounts/:id', {
    schema: {
      summary: 'An account: balance, credit limit, reserved by calls in progress, rate group, flags, packages (free seconds left and reserved)', tags: ['accounts'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(404) },
    },
  }, async (req) => {
    const a = engines().book.account(req.params.id);
    if (!a) throw adminErrors.notFound(`no account ${JSON.stringify(req.params.id)}`);
    return {
      id: a.id, kind: a.kind, prepaid: a.prepaid, locked: a.locked, rateGroup: a.rateGroup, maxConcurrent: a.maxConcurrent, expiresAt: a.expiresAt,
      balance: formatMoney(a.balance), creditLimit: formatMoney(a.creditLimit), reserved: formatMoney(a.reserved), activeCalls: a.activeCalls,
      packages: a.packages.map((p) => ({
        id: p.id, prefixes: p.prefixes.map((x) => x || '*'), freeSeconds: p.freeSeconds, remainingSeconds: p.remainingSeconds, reservedSeconds: p.reservedSeconds, expiresAt: p.expiresAt,
      })),
    };
  });

  const BALANCE_BODY = (memoRequired: boolean) => ({
    type: 'object', required: memoRequired ? ['amount', 'memo'] : ['amount'], additionalProperties: false,
    properties: {
      amount: { type: 'string', maxLength: 40, description: memoRequired ? 'signed decimal, e.g. "-2.50"' : 'decimal, e.g. "25.00"' },
      memo: { type: 'string', minLength: memoRequired ? 1 : 0, maxLength: 200 }, requestId: { type: 'string', maxLength: 100 },
    },
  });
  const BALANCE_REPLY = { 200: { type: 'object', properties: { id: { type: 'string' }, balance: { type: 'string' }, expiresAt: { type: ['integer', 'null'] }, applied: { type: 'boolean' } } }, ...errorResponses(400, 403, 404, 503) };

  /** A recharge or an adjustment: stored in the ledger first (durable, idempotent by request id), then in force for calls. */
  async function moveBalance(id: string, body: { amount: string; memo?: string; requestId?: string }, reason: 'recharge' | 'adjustment') {
    const e = engines();
    if (!e.book.account(id)) throw adminErrors.notFound(`no account ${JSON.stringify(id)}`);
    const m = parseMoney(body.amount);
    if (reason === 'recharge' && (!m.ok || m.value <= 0n)) throw adminErrors.validation(`amount ${JSON.stringify(body.amount)} is not a positive decimal amount`);
    if (reason === 'adjustment' && (!m.ok || m.value === 0n)) throw adminErrors.validation(`amount ${JSON.stringify(body.amount)} is not a non-zero signed decimal amount`);
    const amount = (m as { value: bigint }).value;
    if (!e.store) throw adminErrors.unavailable(`the store is not reachable: a${reason === 'adjustment' ? 'n adjustment' : ' recharge'} is only taken once it is stored`);
    const now = Date.now();
    const memo = body.memo ?? reason;
    const ref = `${reason}:${body.requestId ?? `${now}-${Math.random().toString(36).slice(2)}`}`;
    const applied = await e.store.applyLedger([{ account: id, amount, reason, memo }], ref, now);
    if (applied.length > 0) {
      if (reason === 'recharge') e.book.recharge(id, amount, now, memo);
      else e.book.adjust(id, amount, now, memo);
    }
    const a = e.book.account(id)!;
    return { id, balance: formatMoney(a.balance), expiresAt: a.expiresAt, applied: applied.length > 0 };
  }

  app.post<{ Params: { id: string }; Body: { amount: string; memo?: string; requestId?: string } }>('/api/v1/accounts/:id/recharge', {
    schema: {
      summary: 'Add money to an account (extends its expiry by SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY); recorded in the ledger. `requestId` makes a retry apply once', tags: ['accounts'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      body: BALANCE_BODY(false), response: BALANCE_REPLY,
    },
  }, async (req) => moveBalance(req.params.id, req.body, 'recharge'));

  app.post<{ Params: { id: string }; Body: { amount: string; memo: string; requestId?: string } }>('/api/v1/accounts/:id/adjust', {
    schema: {
      summary: 'Correct a balance by a signed amount with a memo saying why (expiry unchanged); recorded in the ledger as an adjustment. `requestId` makes a retry apply once', tags: ['accounts'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      body: BALANCE_BODY(true), response: BALANCE_REPLY,
    },
  }, async (req) => moveBalance(req.params.id, req.body, 'adjustment'));

  app.get<{ Params: { id: string } }>('/api/v1/accounts/:id/ledger', {
    schema: {
      summary: 'Every stored balance change of an account (calls, recharges, adjustments) with the running balance, oldest first', tags: ['accounts'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      response: { 200: { type: 'object', properties: { entries: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errorResponses(404, 503) },
    },
  }, async (req) => {
    const e = engines();
    if (!e.book.account(req.params.id)) throw adminErrors.notFound(`no account ${JSON.stringify(req.params.id)}`);
    if (!e.store) throw adminErrors.unavailable('the store is not reachable right now');
    const rows = await e.store.ledger(req.params.id);
    return { entries: rows.map((r) => jsonSafe(r)) };
  });

  app.get<{ Params: { id: string }; Querystring: { number: string } }>('/api/v1/accounts/:id/available-time', {
    schema: {
      summary: 'How many seconds this account can talk to this number now (the same code as call authorization); a refusal names its reason', tags: ['accounts'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      querystring: { type: 'object', required: ['number'], properties: { number: { type: 'string', maxLength: 256 } } },
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, seconds: { type: 'integer' }, reason: { type: 'string' }, sipStatus: { type: 'integer' } } }, ...errorResponses(404) },
    },
  }, async (req) => {
    const book = engines().book;
    if (!book.account(req.params.id)) throw adminErrors.notFound(`no account ${JSON.stringify(req.params.id)}`);
    const r = book.availableTime(req.params.id, req.query.number, Date.now());
    return r.ok ? { ok: true, seconds: r.seconds } : { ok: false, reason: r.reason, sipStatus: r.sipStatus };
  });
};

function explainRules(rules: readonly DialRule[], number: string) {
  let plan: DialPlan;
  try {
    plan = DialPlan.compile(rules);
  } catch (err) {
    throw adminErrors.validation(isSswError(err) ? err.message : String(err));
  }
  try {
    const e = plan.explain(number);
    return {
      number, output: e.output, matched: e.matched, rule: e.rule,
      candidates: e.candidates.map((c) => ({ index: c.index, from: c.rule.from, to: c.rule.to, matches: c.matches, why: c.why })),
      warnings: validateRules(rules).warnings,
    };
  } finally {
    plan.dispose();
  }
}

/** A CDR as JSON: money as decimal strings (never floats), times as epoch ms. */
function cdrView(c: CdrRecord): Record<string, unknown> {
  return jsonSafe(c);
}

/** Money (bigint) as decimal strings for JSON. */
function jsonSafe(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'bigint' ? formatMoney(v) : v;
  return out;
}
