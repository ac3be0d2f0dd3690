import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';
import { adminErrors } from './errors.js';
import { DialPlan, IDENTITY } from '../dialplan/index.js';
import { ruleWarnings, type PhoneEntry, type PhoneInput, type PhoneService } from '../phones/index.js';
import { isSswError } from '../util/errors.js';
import { monotonicMs } from '../util/time.js';

const RULES = { type: 'array', maxItems: 10_000, items: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: { type: 'string', minLength: 1, maxLength: 256 }, to: { type: 'string', maxLength: 256 } } } } as const;
const NUMBER = { type: 'string', pattern: '^\\+?[0-9]{1,32}$' } as const;
const FIELDS = {
  username: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$' },
  password: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x20-\\x7e]+$', description: 'digest password; stored as its HA1, never returned' },
  account: { type: 'string', minLength: 1, maxLength: 64 },
  locked: { type: 'boolean' },
  capacity: { type: 'integer', minimum: 0, maximum: 1000, description: 'max concurrent calls; 0 = unlimited' },
  calleeRules: RULES,
  callerRules: RULES,
} as const;
const RULES_VIEW = { type: 'array', items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } } } as const;
const PHONE_VIEW = {
  type: 'object',
  properties: {
    number: { type: 'string' }, username: { type: 'string' }, account: { type: 'string' }, locked: { type: 'boolean' }, capacity: { type: 'integer' },
    calleeRules: RULES_VIEW, callerRules: RULES_VIEW, source: { type: 'string', enum: ['config', 'api'] },
    registered: { type: 'boolean' }, contacts: { type: 'integer' }, activeCalls: { type: 'integer' },
    warnings: { type: 'array', items: { type: 'object', properties: { side: { type: 'string' }, index: { type: 'integer' }, message: { type: 'string' } } } },
  },
} as const;
const BY_NUMBER = { type: 'object', required: ['number'], properties: { number: { type: 'string', maxLength: 33 } } } as const;

/** Phones: list, read, create, change, delete (the password is write-only), registrations, dial-plan explain. */
export const phoneRoutes: RouteModule = (app, ctx) => {
  const phones = (): PhoneService => {
    const p = ctx.sw.phones;
    if (!p) throw adminErrors.notFound('this switch runs without phones');
    return p;
  };
  const find = (number: string): PhoneEntry => {
    const e = phones().directory.byNumber(number);
    if (!e) throw adminErrors.notFound(`no phone ${JSON.stringify(number)}`);
    return e;
  };
  const view = (e: PhoneEntry) => {
    const p = phones();
    const n = p.registrar.contacts(e.def.number).length;
    return {
      number: e.def.number, username: e.def.username, account: e.def.account, locked: e.def.locked, capacity: e.def.capacity,
      calleeRules: e.def.calleeRules, callerRules: e.def.callerRules, source: p.sourceOf(e.def.number) ?? 'api',
      registered: n > 0, contacts: n, activeCalls: p.directory.activeCalls(e.def.number), warnings: ruleWarnings(e.def),
    };
  };
  /** Phone-room errors keep their codes and statuses; anything else goes to the error handler. */
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (isSswError(err) && err.code === 'SSW_ERR_PHONE_INVALID') throw adminErrors.validation(err.message);
      throw err;
    }
  };

  app.get('/api/v1/phones', {
    schema: {
      summary: 'Every phone (network.yaml and API-made), with its registration state; never the password', tags: ['phones'],
      response: { 200: { type: 'object', properties: { phones: { type: 'array', items: PHONE_VIEW } } }, ...errorResponses(404) },
    },
  }, async () => ({ phones: phones().directory.list().map(view) }));

  app.get<{ Params: { number: string } }>('/api/v1/phones/:number', {
    schema: { summary: 'One phone', tags: ['phones'], params: BY_NUMBER, response: { 200: PHONE_VIEW, ...errorResponses(404) } },
  }, async (req) => view(find(req.params.number)));

  app.post<{ Body: PhoneInput }>('/api/v1/phones', {
    schema: {
      summary: 'Create a phone (stored; live at once). username defaults to the number', tags: ['phones'],
      body: { type: 'object', required: ['number', 'password', 'account'], additionalProperties: false, properties: { number: NUMBER, ...FIELDS } },
      response: { 201: PHONE_VIEW, ...errorResponses(400, 403, 409, 413, 503) },
    },
  }, async (req, reply) => {
    const e = await guard(() => phones().create(req.body));
    return reply.code(201).send(view(e));
  });

  app.patch<{ Params: { number: string }; Body: PhoneInput }>('/api/v1/phones/:number', {
    schema: {
      summary: 'Change an API-made phone (a phone of network.yaml changes in the file: 409). Locking it or changing its user name drops its registrations', tags: ['phones'],
      params: BY_NUMBER,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: FIELDS },
      response: { 200: PHONE_VIEW, ...errorResponses(400, 403, 404, 409, 413, 503) },
    },
  }, async (req) => view(await guard(() => phones().update(req.params.number, req.body))));

  app.delete<{ Params: { number: string } }>('/api/v1/phones/:number', {
    schema: {
      summary: 'Delete an API-made phone and its registrations (calls in progress go on)', tags: ['phones'], params: BY_NUMBER,
      response: { 200: { type: 'object', properties: { deleted: { type: 'string' } } }, ...errorResponses(403, 404, 409, 503) },
    },
  }, async (req) => {
    await guard(() => phones().remove(req.params.number));
    return { deleted: req.params.number };
  });

  app.get<{ Params: { number: string } }>('/api/v1/phones/:number/registrations', {
    schema: {
      summary: 'The phone\'s current contacts: URI, seconds left, where the REGISTER came from (calls go there)', tags: ['phones'], params: BY_NUMBER,
      response: {
        200: {
          type: 'object',
          properties: {
            number: { type: 'string' },
            contacts: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  uri: { type: 'string' }, expiresIn: { type: 'integer' }, transport: { type: 'string' }, sourceIp: { type: 'string' }, sourcePort: { type: 'integer' },
                  localIp: { type: 'string' }, registeredAt: { type: 'integer', description: 'epoch ms' }, userAgent: { type: 'string' },
                },
              },
            },
          },
        },
        ...errorResponses(404),
      },
    },
  }, async (req) => {
    const e = find(req.params.number);
    const now = monotonicMs();
    return {
      number: e.def.number,
      contacts: phones().registrar.contacts(e.def.number, now).map((b) => ({
        uri: b.uri, expiresIn: Math.max(0, Math.round((b.expiresMono - now) / 1000)), transport: b.source.transport, sourceIp: b.source.address,
        sourcePort: b.source.port, localIp: b.local.ip, registeredAt: b.registeredWall, userAgent: b.userAgent,
      })),
    };
  });

  app.get<{ Params: { number: string }; Querystring: { number: string; side?: 'callee' | 'caller' } }>('/api/v1/phones/:number/dialplan', {
    schema: {
      summary: 'What the phone\'s dial plan (callee or caller rules) does to a number: the output, the rule that matched, every candidate', tags: ['phones', 'dialplans'],
      params: BY_NUMBER,
      querystring: { type: 'object', required: ['number'], properties: { number: { type: 'string', maxLength: 256 }, side: { type: 'string', enum: ['callee', 'caller'] } } },
      response: {
        200: {
          type: 'object',
          properties: {
            phone: { type: 'string' }, side: { type: 'string' }, number: { type: 'string' }, output: { type: 'string' }, matched: { type: 'integer' },
            rule: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } },
            candidates: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, matches: { type: 'boolean' }, why: { type: 'string' } } } },
          },
        },
        ...errorResponses(400, 404),
      },
    },
  }, async (req) => {
    const e = find(req.params.number);
    const side = req.query.side ?? 'callee';
    const plan: DialPlan = side === 'caller' ? e.caller : e.callee;
    const number = req.query.number;
    if (plan === IDENTITY) return { phone: e.def.number, side, number, output: number, matched: -1, candidates: [] };
    const x = plan.explain(number);
    return {
      phone: e.def.number, side, number, output: x.output, matched: x.matched, rule: x.rule,
      candidates: x.candidates.map((c) => ({ index: c.index, from: c.rule.from, to: c.rule.to, matches: c.matches, why: c.why })),
    };
  });
};
