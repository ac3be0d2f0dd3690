/**
 * Network CRUD: mapping gateways, routing gateways, accounts and the dial plans on gateways, plus
 * the live reload of network.yaml. A change is checked by the same field tables as network.yaml
 * (one entity, then the whole network with it), stored in the store, then swapped in like a
 * reload: new calls see it at once, calls in progress keep the network they started with.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';
import { adminErrors } from './errors.js';
import { validateEntity, type NetworkEntityKind } from '../config/index.js';
import { findRaw } from '../live-network.js';
import { formatMoney } from '../billing/index.js';
import type { Softswitch } from '../switch.js';

const ANY_OBJECT = { type: 'object', additionalProperties: true } as const;
const SWAP = {
  type: 'object',
  properties: { generation: { type: 'integer' }, mappingGateways: { type: 'integer' }, routingGateways: { type: 'integer' }, accounts: { type: 'integer' } },
} as const;
const CHANGED = { type: 'object', properties: { generation: { type: 'integer' }, item: ANY_OBJECT } } as const;
const DELETED = { type: 'object', properties: { generation: { type: 'integer' }, deleted: { type: 'string' } } } as const;

interface Resource {
  readonly kind: NetworkEntityKind;
  /** URL segment and the words used in messages. */
  readonly path: string;
  readonly noun: string;
  readonly key: 'name' | 'id';
  readonly tag: string;
}

const RESOURCES: readonly Resource[] = [
  { kind: 'mapping', path: 'mapping-gateways', noun: 'mapping gateway', key: 'name', tag: 'gateways' },
  { kind: 'routing', path: 'routing-gateways', noun: 'routing gateway', key: 'name', tag: 'gateways' },
  { kind: 'account', path: 'accounts', noun: 'account', key: 'id', tag: 'accounts' },
];

/** Network CRUD and reload routes (read-write token for every change). */
export const networkRoutes: RouteModule = (app, ctx) => {
  const sw = ctx.sw;

  app.post('/api/v1/network/reload', {
    schema: {
      summary: 'Re-read network.yaml, lay the stored admin changes over it, validate the whole and swap it in; a bad file keeps the network in force and the answer names every problem', tags: ['network'],
      response: { 200: SWAP, ...errorResponses(400, 403, 409) },
    },
  }, async () => sw.reloadNetwork());

  app.get('/api/v1/network/changes', {
    schema: {
      summary: 'Changes made through this API and kept in the store, oldest first; they are laid over network.yaml at start and on every reload', tags: ['network'],
      response: { 200: { type: 'object', properties: { changes: { type: 'array', items: ANY_OBJECT } } }, ...errorResponses() },
    },
  }, async () => ({ changes: sw.networkChanges.map((c) => ({ kind: c.kind, name: c.name, deleted: c.body === null, seq: c.seq, body: c.body })) }));

  for (const r of RESOURCES) resourceRoutes(app, sw, r);

  app.put<{ Params: { kind: 'mapping' | 'routing'; name: string }; Body: { calleeRules?: unknown; callerRules?: unknown } }>('/api/v1/gateways/:kind/:name/dialplan', {
    schema: {
      summary: 'Replace the dial plan (callee and/or caller rules) of a mapping or routing gateway; checked by the dial-plan engine, in force for the next call', tags: ['dialplans'],
      params: { type: 'object', required: ['kind', 'name'], properties: { kind: { type: 'string', enum: ['mapping', 'routing'] }, name: { type: 'string', maxLength: 64 } } },
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { calleeRules: { type: 'array' }, callerRules: { type: 'array' } } },
      response: { 200: CHANGED, ...errorResponses(400, 403, 404, 503) },
    },
  }, async (req) => {
    const res = RESOURCES.find((x) => x.kind === req.params.kind)!;
    return patch(sw, res, req.params.name, req.body as Record<string, unknown>);
  });
};

function resourceRoutes(app: FastifyInstance, sw: Softswitch, r: Resource): void {
  const base = `/api/v1/${r.path}`;
  // Accounts are named by id (as GET /api/v1/accounts/:id), gateways by name.
  const one = `${base}/:${r.key}`;
  const PARAM = { type: 'object', required: [r.key], properties: { [r.key]: { type: 'string', maxLength: 64 } } };
  const key = (p: Record<string, string>): string => p[r.key]!;

  app.get(base, {
    schema: {
      summary: `Every ${r.noun} in force (network.yaml with the admin changes), with defaults filled`, tags: [r.tag],
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: ANY_OBJECT } } }, ...errorResponses() },
    },
  }, async () => ({ items: list(sw, r).map((x) => view(sw, r, x)) }));

  // GET /api/v1/accounts/:id is the engines' account view (balance, reservations).
  if (r.kind !== 'account') {
    app.get<{ Params: Record<string, string> }>(one, {
      schema: { summary: `One ${r.noun} in force`, tags: [r.tag], params: PARAM, response: { 200: ANY_OBJECT, ...errorResponses(404) } },
    }, async (req) => view(sw, r, current(sw, r, key(req.params))));
  }

  app.post<{ Body: Record<string, unknown> }>(base, {
    schema: {
      summary: `Create a ${r.noun}: the fields of network.yaml's ${r.path === 'accounts' ? 'accounts' : r.kind === 'mapping' ? 'mappingGateways' : 'routingGateways'} entries (docs/configuration.md), checked the same way`, tags: [r.tag],
      body: ANY_OBJECT, response: { 201: CHANGED, ...errorResponses(400, 403, 409, 503) },
    },
  }, async (req, reply) => {
    const body = { ...req.body };
    const name = body[r.key];
    if (typeof name !== 'string' || name === '') throw adminErrors.validation(`${r.key}: missing; required: the ${r.noun}'s ${r.key} as text`);
    if (list(sw, r).some((x) => String(x[r.key]) === name)) throw adminErrors.conflict(`a ${r.noun} ${JSON.stringify(name)} exists already; change it with PUT or PATCH ${base}/${name}`);
    if (r.kind === 'routing' && body.id === undefined) body.id = freeGatewayId(sw);
    const res = await change(sw, r, name, body);
    return reply.code(201).send(res);
  });

  app.put<{ Params: Record<string, string>; Body: Record<string, unknown> }>(one, {
    schema: {
      summary: `Replace a ${r.noun} with the body (fields left out take their defaults)`, tags: [r.tag],
      params: PARAM, body: ANY_OBJECT, response: { 200: CHANGED, ...errorResponses(400, 403, 404, 503) },
    },
  }, async (req) => {
    const name = key(req.params);
    const old = current(sw, r, name);
    const body = { ...req.body };
    checkKey(r, name, body);
    body[r.key] = name;
    if (r.kind === 'routing' && body.id === undefined) body.id = old.id;
    if (r.kind === 'account') keepBalance(body, findRaw(sw.rawNetworkInForce, 'account', name));
    return change(sw, r, name, body);
  });

  app.patch<{ Params: Record<string, string>; Body: Record<string, unknown> }>(one, {
    schema: {
      summary: `Change some fields of a ${r.noun}; the rest stay as they are`, tags: [r.tag],
      params: PARAM, body: ANY_OBJECT, response: { 200: CHANGED, ...errorResponses(400, 403, 404, 503) },
    },
  }, async (req) => patch(sw, r, key(req.params), req.body));

  app.delete<{ Params: Record<string, string> }>(one, {
    schema: {
      summary: `Delete a ${r.noun}; refused while another entity refers to it (the answer names which)`, tags: [r.tag],
      params: PARAM, response: { 200: DELETED, ...errorResponses(400, 403, 404, 503) },
    },
  }, async (req) => {
    const name = key(req.params);
    current(sw, r, name);
    const swap = await sw.changeNetwork({ kind: r.kind, name, body: null });
    return { generation: swap.generation, deleted: name };
  });
}

async function patch(sw: Softswitch, r: Resource, name: string, fields: Readonly<Record<string, unknown>>) {
  current(sw, r, name);
  const body = { ...(findRaw(sw.rawNetworkInForce, r.kind, name) ?? {}), ...fields };
  checkKey(r, name, fields);
  body[r.key] = name;
  if (r.kind === 'account' && 'balance' in fields) throw adminErrors.validation('balance: an existing account\'s balance changes only by recharge (POST /api/v1/accounts/:id/recharge)');
  return change(sw, r, name, body);
}

async function change(sw: Softswitch, r: Resource, name: string, body: Record<string, unknown>) {
  // The entity alone first, so its problems are named as its own fields.
  validateEntity(r.kind, body, `${r.noun} ${JSON.stringify(name)}`);
  const swap = await sw.changeNetwork({ kind: r.kind, name, body });
  return { generation: swap.generation, item: view(sw, r, current(sw, r, name)) };
}

function list(sw: Softswitch, r: Resource): ReadonlyArray<Record<string, unknown>> {
  const n = sw.config.network;
  return (r.kind === 'mapping' ? n.mappingGateways : r.kind === 'routing' ? n.routingGateways : n.accounts) as unknown as ReadonlyArray<Record<string, unknown>>;
}

function current(sw: Softswitch, r: Resource, name: string): Record<string, unknown> {
  const found = list(sw, r).find((x) => String(x[r.key]) === name);
  if (!found) throw adminErrors.notFound(`no ${r.noun} ${JSON.stringify(name)}`);
  return found;
}

function checkKey(r: Resource, name: string, body: Readonly<Record<string, unknown>>): void {
  if (body[r.key] !== undefined && body[r.key] !== name) throw adminErrors.validation(`${r.key}: ${JSON.stringify(body[r.key])} differs from the URL's ${JSON.stringify(name)}; to rename, create the new one and delete the old`);
}

// The opening balance stays what it was (balances move by calls and recharges, in the store).
function keepBalance(body: Record<string, unknown>, raw: Record<string, unknown> | undefined): void {
  if ('balance' in body) throw adminErrors.validation('balance: an existing account\'s balance changes only by recharge (POST /api/v1/accounts/:id/recharge)');
  if (raw && raw.balance !== undefined) body.balance = raw.balance;
}

function freeGatewayId(sw: Softswitch): number {
  const used = new Set(sw.config.network.routingGateways.map((g) => g.id));
  let id = 1;
  while (used.has(id)) id++;
  return id;
}

/** An entity as the API shows it: "*" for the every-number prefix (as in files), live balances for accounts. */
function view(sw: Softswitch, r: Resource, x: Record<string, unknown>): Record<string, unknown> {
  if (r.kind === 'routing') {
    const star = (p: string[]) => p.map((s) => (s === '' ? '*' : s));
    return { ...x, prefixes: star(x.prefixes as string[]), schedules: (x.schedules as Array<Record<string, unknown>>).map((s) => ({ ...s, prefixes: star(s.prefixes as string[]) })) };
  }
  if (r.kind === 'account') {
    const a = sw.engines?.book.account(String(x.id));
    return a ? { ...x, balance: formatMoney(a.balance), reserved: formatMoney(a.reserved) } : { ...x };
  }
  return { ...x };
}
