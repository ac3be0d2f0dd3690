import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';
import { adminErrors } from './errors.js';
import {
  CALL_TYPES, RATE_DECK_COLUMNS, RateGroup, formatMoney, parseMoney, rateDeckRecord, rateRowProblem,
  type CallType, type RateRow, type RateSection,
} from '../billing/index.js';
import {
  RateImporter, checkGroupName, createStoredGroup, deleteStoredGroup, exportStoredGroupCsv, getStoredRate,
  listStoredRates, storedGroupNames, type ImportMode, type ImportStatus,
} from '../rates/index.js';
import type { Engines } from '../engines.js';
import { createError } from '../util/errors.js';

const conflict = createError('SSW_ERR_ADMIN_CONFLICT', 409);

/** Largest deck accepted in one request (a 1,000,000-row deck is about 50 MB). */
const DECK_BODY_LIMIT = 256 * 1024 * 1024;

const MONEY = { type: 'string', maxLength: 40, pattern: '^[0-9]*\\.?[0-9]*$', description: 'decimal amount, e.g. "0.0125"' } as const;
const SECTION = { type: 'object', required: ['afterSeconds', 'rate'], additionalProperties: false, properties: { afterSeconds: { type: 'integer', minimum: 1 }, rate: MONEY } } as const;
const RATE_VIEW = {
  type: 'object',
  properties: {
    prefix: { type: 'string' }, areaName: { type: 'string' }, callType: { type: 'string' }, rate: { type: 'string' },
    firstPeriod: { type: 'integer' }, nextPeriod: { type: 'integer' }, connectionFee: { type: 'string' },
    sections: { type: 'array', items: { type: 'object', properties: { afterSeconds: { type: 'integer' }, rate: { type: 'string' } } } },
    effectiveFrom: { type: 'integer', description: 'epoch ms' }, effectiveFromIso: { type: 'string' }, locked: { type: 'boolean' },
  },
} as const;
const RATE_FIELDS = {
  areaName: { type: 'string', maxLength: 255 }, callType: { type: 'string', enum: [...CALL_TYPES] }, rate: MONEY,
  firstPeriod: { type: 'integer', minimum: 1, maximum: 86_400 }, nextPeriod: { type: 'integer', minimum: 1, maximum: 86_400 },
  connectionFee: MONEY, sections: { type: 'array', maxItems: 32, items: SECTION }, locked: { type: 'boolean' },
} as const;
const EFFECTIVE = { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 40 }], description: 'epoch ms, or ISO 8601 with a zone; default 0 (always)' } as const;
const GROUP_PARAMS = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 64 } } } as const;
const ROW_PARAMS = { type: 'object', required: ['name', 'prefix'], properties: { name: { type: 'string', maxLength: 64 }, prefix: { type: 'string', maxLength: 32 } } } as const;
const ROW_QUERY = { type: 'object', properties: { effectiveFrom: EFFECTIVE } } as const;
const DECK_ERROR = { type: 'object', properties: { line: { type: 'integer' }, reason: { type: 'string' } } } as const;
const JOB_VIEW = {
  type: 'object',
  properties: {
    id: { type: 'string' }, group: { type: 'string' }, mode: { type: 'string' }, phase: { type: 'string' },
    totalLines: { type: 'integer' }, rowsRead: { type: 'integer' }, rowsTotal: { type: 'integer' }, rowsStored: { type: 'integer' },
    errors: { type: 'array', items: DECK_ERROR }, message: { type: ['string', 'null'] },
    startedAt: { type: 'integer' }, finishedAt: { type: ['integer', 'null'] }, elapsedMs: { type: 'number' }, workerMs: { type: ['number', 'null'] },
  },
} as const;
const REFUSED = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, errors: { type: 'array', items: DECK_ERROR }, job: JOB_VIEW } } },
} as const;

type RateBody = { prefix?: string; areaName?: string; callType?: CallType; rate?: string; firstPeriod?: number; nextPeriod?: number; connectionFee?: string; sections?: Array<{ afterSeconds: number; rate: string }>; locked?: boolean; effectiveFrom?: number | string };

/** Rate groups and rates: list, create, change, delete; deck import (sync or as a job) and export; rating explain. */
export const rateRoutes: RouteModule = (app, ctx) => {
  let importer: RateImporter | null = null;
  const engines = (): Engines => {
    const e = ctx.sw.engines;
    if (!e) throw adminErrors.notFound('this switch runs without the billing engines');
    return e;
  };
  const store = () => {
    const s = engines().store;
    if (!s) throw adminErrors.unavailable('the store is not reachable right now: rates are changed only once stored');
    return s;
  };
  const imports = (): RateImporter => (importer ??= new RateImporter({ store: store(), book: engines().book }));
  const groupNamed = (name: string): RateGroup => {
    const g = engines().book.rateGroup(name);
    if (!g) throw adminErrors.notFound(`no rate group ${JSON.stringify(name)}`);
    return g;
  };
  const notImporting = (name: string): void => {
    if (importer?.importing(name)) throw conflict(`rate group ${name} is importing a deck; try again when the import is done`);
  };
  /** The stored row a PUT/DELETE names (group, prefix, effective time), or 404; called in the group's turn. */
  const namedRow = async (name: string, prefix: string, at: number): Promise<RateRow> => {
    const old = await getStoredRate(store(), name, prefix, at);
    if (!old) throw adminErrors.notFound(`rate group ${name} has no row for prefix ${prefix} effective ${iso(at)}`);
    return old;
  };
  app.addHook('onClose', async () => {
    await importer?.close();
  });

  // rate decks arrive as CSV bytes; only the import route takes them (other routes' schemas want JSON)
  app.addContentTypeParser(['text/csv', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: DECK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.get('/api/v1/rate-groups', {
    schema: {
      summary: 'Every rate group: rows in force for new calls, whether it is stored, accounts of the config that use it', tags: ['rates'],
      response: { 200: { type: 'object', properties: { groups: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, rows: { type: 'integer' }, stored: { type: 'boolean' }, importing: { type: 'boolean' }, accounts: { type: 'array', items: { type: 'string' } } } } } } }, ...errorResponses(404) },
    },
  }, async () => {
    const e = engines();
    const stored = e.store ? new Set(await storedGroupNames(e.store)) : new Set<string>();
    const names = [...new Set([...e.book.rateGroupNames(), ...stored])].sort();
    return {
      groups: names.map((name) => ({
        name, rows: e.book.rateGroup(name)?.size ?? 0, stored: stored.has(name), importing: importer?.importing(name) ?? false,
        accounts: ctx.sw.config.network.accounts.filter((a) => a.rateGroup === name).map((a) => a.id),
      })),
    };
  });

  app.post<{ Body: { name: string } }>('/api/v1/rate-groups', {
    schema: {
      summary: 'Create an empty rate group (stored; fill it with rates or a deck import)', tags: ['rates'],
      body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 64 } } },
      response: { 201: { type: 'object', properties: { name: { type: 'string' }, rows: { type: 'integer' } } }, ...errorResponses(400, 403, 409, 503) },
    },
  }, async (req, reply) => {
    const name = req.body.name;
    validName(name);
    await imports().exclusive(name, async () => {
      if (engines().book.rateGroup(name) || !(await createStoredGroup(store(), name))) throw conflict(`rate group ${JSON.stringify(name)} exists`);
      engines().book.setRateGroup(new RateGroup(name, []));
    });
    return reply.code(201).send({ name, rows: 0 });
  });

  app.delete<{ Params: { name: string } }>('/api/v1/rate-groups/:name', {
    schema: {
      summary: 'Delete a rate group and its rates (refused while an account of the config uses it); calls in progress keep their rate', tags: ['rates'],
      params: GROUP_PARAMS,
      response: { 200: { type: 'object', properties: { name: { type: 'string' }, deleted: { type: 'boolean' } } }, ...errorResponses(403, 404, 409, 503) },
    },
  }, async (req) => {
    const name = req.params.name;
    const users = ctx.sw.config.network.accounts.filter((a) => a.rateGroup === name).map((a) => a.id);
    if (users.length > 0) throw conflict(`rate group ${name} is used by account(s) ${users.join(', ')}`);
    notImporting(name);
    // in the group's turn: an edit in progress finishes first (it would put the group back)
    await imports().exclusive(name, async () => {
      const inStore = await deleteStoredGroup(store(), name);
      const inBook = engines().book.removeRateGroup(name);
      if (!inStore && !inBook) throw adminErrors.notFound(`no rate group ${JSON.stringify(name)}`);
    });
    return { name, deleted: true };
  });

  app.get<{ Params: { name: string }; Querystring: { prefix?: string; page?: number; pageSize?: number } }>('/api/v1/rate-groups/:name/rates', {
    schema: {
      summary: 'Rates of a group, by prefix then effective time; paged; `prefix` keeps rows whose prefix starts with it', tags: ['rates'],
      params: GROUP_PARAMS,
      querystring: { type: 'object', properties: { prefix: { type: 'string', pattern: '^[0-9]{0,32}$' }, page: { type: 'integer', minimum: 1 }, pageSize: { type: 'integer', minimum: 1, maximum: 10_000 } } },
      response: { 200: { type: 'object', properties: { group: { type: 'string' }, total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' }, rows: { type: 'array', items: RATE_VIEW } } }, ...errorResponses(400, 404, 503) },
    },
  }, async (req) => {
    const name = req.params.name;
    const page = req.query.page ?? 1;
    const pageSize = req.query.pageSize ?? 100;
    const s = store();
    if ((await storedGroupNames(s)).includes(name)) {
      const p = await listStoredRates(s, name, { prefix: req.query.prefix, page, pageSize });
      return { group: name, total: p.total, page, pageSize, rows: p.rows.map(rateView) };
    }
    // a group only in the config folder: its rows in memory
    const rows = groupNamed(name).rows().filter((r) => !req.query.prefix || r.prefix.startsWith(req.query.prefix))
      .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.effectiveFrom - b.effectiveFrom));
    return { group: name, total: rows.length, page, pageSize, rows: rows.slice((page - 1) * pageSize, page * pageSize).map(rateView) };
  });

  app.post<{ Params: { name: string }; Body: RateBody }>('/api/v1/rate-groups/:name/rates', {
    schema: {
      summary: 'Add a rate row (prefix and rate required; a row for the same prefix with a later effectiveFrom takes over at its time)', tags: ['rates'],
      params: GROUP_PARAMS,
      body: { type: 'object', required: ['prefix', 'rate'], additionalProperties: false, properties: { prefix: { type: 'string', maxLength: 32 }, ...RATE_FIELDS, effectiveFrom: EFFECTIVE } },
      response: { 201: RATE_VIEW, ...errorResponses(400, 403, 404, 409, 503) },
    },
  }, async (req, reply) => {
    const name = req.params.name;
    groupNamed(name);
    notImporting(name);
    const row = rowFromBody(req.body, null);
    await imports().change(name, async () => {
      if (await getStoredRate(store(), name, row.prefix, row.effectiveFrom)) {
        throw conflict(`rate group ${name} has a row for prefix ${row.prefix} effective ${iso(row.effectiveFrom)}; change it with PUT`);
      }
      return { put: row };
    });
    return reply.code(201).send(rateView(row));
  });

  app.put<{ Params: { name: string; prefix: string }; Querystring: { effectiveFrom?: number | string }; Body: RateBody }>('/api/v1/rate-groups/:name/rates/:prefix', {
    schema: {
      summary: 'Change a rate row, named by prefix and effectiveFrom (query; default 0); fields not given stay', tags: ['rates'],
      params: ROW_PARAMS, querystring: ROW_QUERY,
      body: { type: 'object', additionalProperties: false, properties: RATE_FIELDS },
      response: { 200: RATE_VIEW, ...errorResponses(400, 403, 404, 409, 503) },
    },
  }, async (req) => {
    const { name, prefix } = req.params;
    groupNamed(name);
    notImporting(name);
    const at = effectiveParam(req.query.effectiveFrom);
    // the body is laid over the row as stored in this edit's turn, so two concurrent edits both land
    const { put } = await imports().change(name, async () => ({ put: rowFromBody({ ...req.body, prefix, effectiveFrom: at }, await namedRow(name, prefix, at)) }));
    return rateView(put);
  });

  app.delete<{ Params: { name: string; prefix: string }; Querystring: { effectiveFrom?: number | string } }>('/api/v1/rate-groups/:name/rates/:prefix', {
    schema: {
      summary: 'Delete a rate row, named by prefix and effectiveFrom (query; default 0)', tags: ['rates'],
      params: ROW_PARAMS, querystring: ROW_QUERY,
      response: { 200: { type: 'object', properties: { group: { type: 'string' }, prefix: { type: 'string' }, effectiveFrom: { type: 'integer' }, deleted: { type: 'boolean' } } }, ...errorResponses(400, 403, 404, 409, 503) },
    },
  }, async (req) => {
    const { name, prefix } = req.params;
    groupNamed(name);
    notImporting(name);
    const at = effectiveParam(req.query.effectiveFrom);
    await imports().change(name, async () => {
      await namedRow(name, prefix, at);
      return { remove: { prefix, effectiveFrom: at } };
    });
    return { group: name, prefix, effectiveFrom: at, deleted: true };
  });

  app.post<{ Params: { name: string }; Querystring: { mode?: ImportMode; wait?: boolean }; Body: Buffer }>('/api/v1/rate-groups/:name/import', {
    bodyLimit: DECK_BODY_LIMIT,
    schema: {
      summary: 'Import a rate deck (CSV body, Content-Type: text/csv): every row validated, taken whole or not at all, stored, then in force for new calls. '
        + 'mode=replace (default) replaces the group\'s rows; mode=merge replaces rows with the same prefix and effective time and keeps the rest. '
        + 'wait=false answers 202 with a job to poll at /api/v1/rate-imports/{id}', tags: ['rates'],
      description: `Columns (header row, any order): ${RATE_DECK_COLUMNS.join(', ')}; prefix and rate required. A refused deck answers 400 SSW_ERR_RATES_DECK_REFUSED with the bad lines (line 1 is the header).`,
      params: GROUP_PARAMS,
      querystring: { type: 'object', properties: { mode: { type: 'string', enum: ['replace', 'merge'] }, wait: { type: 'boolean' } } },
      response: { 200: JOB_VIEW, 202: JOB_VIEW, 400: REFUSED, ...errorResponses(403, 404, 409, 413, 415, 503), 500: REFUSED },
    },
  }, async (req, reply) => {
    const name = req.params.name;
    validName(name);
    if (!Buffer.isBuffer(req.body)) throw adminErrors.mediaType('send the deck as CSV: Content-Type: text/csv');
    let job: { id: string; done: Promise<ImportStatus> };
    try {
      job = imports().start(name, req.body, req.query.mode ?? 'replace');
    } catch (err) {
      if ((err as { code?: string }).code === 'SSW_ERR_RATES_IMPORT_BUSY') throw conflict((err as Error).message);
      throw err;
    }
    if (req.query.wait === false) return reply.code(202).send(imports().job(job.id));
    return sendOutcome(reply, await job.done);
  });

  app.get<{ Params: { id: string } }>('/api/v1/rate-imports/:id', {
    schema: {
      summary: 'Progress of a deck import job: phase (validating, storing, done, refused, failed), rows read and stored, the bad lines', tags: ['rates'],
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
      response: { 200: JOB_VIEW, ...errorResponses(404) },
    },
  }, async (req) => {
    const j = importer?.job(req.params.id);
    if (!j) throw adminErrors.notFound(`no import job ${JSON.stringify(req.params.id)}`);
    return j;
  });

  app.get<{ Params: { name: string } }>('/api/v1/rate-groups/:name/export', {
    schema: {
      summary: 'A rate group as a CSV deck (streamed; the import reads it back to the same rows)', tags: ['rates'], produces: 'text/csv',
      params: GROUP_PARAMS,
      response: { 200: { type: 'string' }, ...errorResponses(404, 503) },
    },
  }, async (req, reply) => {
    const name = req.params.name;
    const s = store();
    const out = new PassThrough();
    if ((await storedGroupNames(s)).includes(name)) {
      exportStoredGroupCsv(s, name, out).then(() => out.end(), (err) => out.destroy(err as Error));
    } else {
      const rows = groupNamed(name).rows();
      const csv = stringify({ header: true, columns: [...RATE_DECK_COLUMNS] });
      csv.pipe(out);
      for (const r of rows) csv.write(rateDeckRecord(r));
      csv.end();
    }
    return reply.type('text/csv').header('content-disposition', `attachment; filename="${name}.csv"`).send(out);
  });

  app.get<{ Querystring: { number: string; account?: string; group?: string; time?: number | string } }>('/api/v1/rates/explain', {
    schema: {
      summary: 'How a number is rated for an account (its rate group) or a group: every matching prefix, the row in force at `time`, the one that wins; with an account, its available time', tags: ['rates'],
      querystring: { type: 'object', required: ['number'], properties: { number: { type: 'string', pattern: '^[0-9]{1,64}$' }, account: { type: 'string' }, group: { type: 'string' }, time: EFFECTIVE } },
      response: {
        200: {
          type: 'object',
          properties: {
            number: { type: 'string' }, group: { type: 'string' }, account: { type: ['string', 'null'] }, time: { type: 'integer' },
            result: { type: 'string', description: 'rated, No matching rate, or locked' }, row: { anyOf: [RATE_VIEW, { type: 'null' }] },
            candidates: { type: 'array', items: { type: 'object', properties: { prefix: { type: 'string' }, inForce: { anyOf: [RATE_VIEW, { type: 'null' }] }, note: { type: 'string' } } } },
            availableTime: { type: 'object', properties: { ok: { type: 'boolean' }, seconds: { type: 'integer' }, reason: { type: 'string' } } },
          },
        },
        ...errorResponses(400, 404),
      },
    },
  }, async (req) => {
    const q = req.query;
    const book = engines().book;
    let groupName = q.group;
    if (q.account !== undefined) {
      const a = book.account(q.account);
      if (!a) throw adminErrors.notFound(`no account ${JSON.stringify(q.account)}`);
      if (groupName === undefined) groupName = a.rateGroup ?? undefined;
      if (groupName === undefined) throw adminErrors.notFound(`account ${q.account} has no rate group`);
    }
    if (groupName === undefined) throw adminErrors.validation('give account or group');
    const g = groupNamed(groupName);
    const at = q.time === undefined ? Date.now() : effectiveParam(q.time);
    const hits = g.explain(q.number, at);
    const win = g.lookup(q.number, at);
    const firstInForce = hits.findIndex((h) => h.row !== null);
    const out: Record<string, unknown> = {
      number: q.number, group: groupName, account: q.account ?? null, time: at,
      result: win.ok ? 'rated' : win.why === 'locked' ? 'locked' : 'No matching rate',
      row: win.ok ? rateView(win.row) : null,
      candidates: hits.map((h, i) => ({
        prefix: h.prefix, inForce: h.row === null ? null : rateView(h.row),
        note: h.row === null ? 'only rows effective later: skipped' : i === firstInForce ? (h.row.locked ? 'locked: refuses the call' : 'longest prefix in force: used') : 'shorter prefix: not used',
      })),
    };
    if (q.account !== undefined && q.group === undefined) {
      const t = book.availableTime(q.account, q.number, at);
      out.availableTime = t.ok ? { ok: true, seconds: t.seconds } : { ok: false, reason: t.reason };
    }
    return out;
  });
};

function validName(name: string): void {
  try {
    checkGroupName(name);
  } catch (err) {
    throw adminErrors.validation((err as Error).message);
  }
}

function sendOutcome(reply: FastifyReply, s: ImportStatus): FastifyReply {
  if (s.phase === 'done') return reply.code(200).send(s);
  const refused = s.phase === 'refused';
  const message = refused
    ? `deck refused (nothing changed): ${s.errors.slice(0, 3).map((e) => `line ${e.line}: ${e.reason}`).join('; ')}${s.errors.length > 3 ? `; and ${s.errors.length - 3} more` : ''}`
    : `import failed (nothing changed): ${s.message ?? 'unknown'}`;
  return reply.code(refused ? 400 : 500).send({ error: { code: refused ? 'SSW_ERR_RATES_DECK_REFUSED' : 'SSW_ERR_RATES_IMPORT_FAILED', message, errors: s.errors, job: s } });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function effectiveParam(v: number | string | undefined): number {
  if (v === undefined || v === '') return 0;
  if (typeof v === 'number') return v;
  const t = /^\d+$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : NaN;
  if (!Number.isSafeInteger(t) || t < 0) throw adminErrors.validation(`effectiveFrom ${JSON.stringify(v)} is not epoch ms nor ISO 8601 with a zone`);
  return t;
}

function money(text: string, field: string): bigint {
  const m = parseMoney(text);
  if (!m.ok) throw adminErrors.validation(`${field}: ${m.reason}`);
  return m.value;
}

/** A RateRow from a request body, over `old` (change) or the defaults (create); validated. */
function rowFromBody(b: RateBody, old: RateRow | null): RateRow {
  const sections: RateSection[] | undefined = b.sections?.map((s, i) => ({ afterSeconds: s.afterSeconds, ratePerMinute: money(s.rate, `sections[${i}].rate`) }));
  const row: RateRow = {
    prefix: b.prefix ?? old?.prefix ?? '',
    areaName: b.areaName ?? old?.areaName ?? '',
    callType: b.callType ?? old?.callType ?? 'international',
    ratePerMinute: b.rate !== undefined ? money(b.rate, 'rate') : old?.ratePerMinute ?? 0n,
    firstPeriod: b.firstPeriod ?? old?.firstPeriod ?? 60,
    nextPeriod: b.nextPeriod ?? old?.nextPeriod ?? 60,
    connectionFee: b.connectionFee !== undefined ? money(b.connectionFee, 'connectionFee') : old?.connectionFee ?? 0n,
    sections: sections ?? old?.sections ?? [],
    effectiveFrom: effectiveParam(b.effectiveFrom),
    locked: b.locked ?? old?.locked ?? false,
  };
  const problem = rateRowProblem(row);
  if (problem !== null) throw adminErrors.validation(problem);
  return row;
}

/** A rate row as JSON: money as decimal strings, times as epoch ms (and ISO for people). */
function rateView(r: RateRow): Record<string, unknown> {
  return {
    prefix: r.prefix, areaName: r.areaName, callType: r.callType, rate: plain(r.ratePerMinute), firstPeriod: r.firstPeriod, nextPeriod: r.nextPeriod,
    connectionFee: plain(r.connectionFee), sections: r.sections.map((s) => ({ afterSeconds: s.afterSeconds, rate: plain(s.ratePerMinute) })),
    effectiveFrom: r.effectiveFrom, effectiveFromIso: iso(r.effectiveFrom), locked: r.locked,
  };
}

function plain(m: bigint): string {
  return formatMoney(m).replace(/\.?0+$/, '') || '0';
}
