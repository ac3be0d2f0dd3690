import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';

/** A parameter value as JSON: number, On/Off as boolean, text, list of seconds, or null for None. */
const VALUE = {
  anyOf: [{ type: 'number' }, { type: 'boolean' }, { type: 'string', maxLength: 1000 }, { type: 'array', maxItems: 100, items: { type: 'number' } }, { type: 'null' }],
} as const;

const PARAM_VIEW = {
  type: 'object',
  required: ['name', 'value', 'text', 'default', 'range', 'status', 'source'],
  properties: {
    name: { type: 'string' },
    value: VALUE,
    text: { type: 'string', description: 'The value as written in params.yaml (None, On/Off, 0.5,1,2)' },
    default: VALUE,
    defaultText: { type: 'string' },
    type: { type: 'string' },
    range: { type: 'string' },
    min: { type: 'number' },
    max: { type: 'number' },
    values: { type: 'array', items: { type: 'string' } },
    unit: { type: 'string' },
    description: { type: 'string' },
    area: { type: 'string' },
    status: { type: 'string', enum: ['used', 'planned'] },
    nullable: { type: 'boolean' },
    source: { type: 'string', enum: ['default', 'file', 'api'] },
    applies: { type: 'string', enum: ['live', 'restart'], description: 'live: a change applies to new calls at once; restart: it waits for a restart' },
    pending: VALUE,
    pendingText: { type: 'string', description: 'A restart-only parameter\'s new value, in force after the next restart' },
    restartWhy: { type: 'string' },
  },
} as const;

const CHANGE = { type: 'object', required: ['name', 'from', 'to'], properties: { name: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } } } as const;
const PENDING = { type: 'object', required: ['name', 'from', 'to', 'why'], properties: { ...CHANGE.properties, why: { type: 'string' } } } as const;

const PARAMS_UPDATE = {
  type: 'object',
  required: ['source', 'applied', 'pendingRestart', 'overridden', 'qualityWindows', 'message'],
  properties: {
    source: { type: 'string', description: 'the file read' },
    applied: { type: 'array', items: CHANGE, description: 'in force for new calls from now on' },
    pendingRestart: { type: 'array', items: PENDING, description: 'restart-only parameters whose new value waits for a restart (`from` stays in force)' },
    overridden: {
      type: 'array', description: 'parameters the file changed that an admin API override keeps',
      items: { type: 'object', properties: { name: { type: 'string' }, file: { type: 'string' }, inForce: { type: 'string' } } },
    },
    qualityWindows: { type: 'array', items: { type: 'string' }, description: 'quality windows re-cut (asr, acd, pdd)' },
    message: { type: 'string' },
  },
} as const;

const SERVER_FIELD = {
  type: 'object',
  required: ['name', 'applies'],
  properties: {
    name: { type: 'string' },
    value: {},
    applies: { type: 'string', enum: ['live', 'restart'] },
    pending: { description: 'server.yaml\'s value of a restart-only field, in force after the next restart' },
  },
} as const;

const SERVER_UPDATE = {
  type: 'object',
  required: ['source', 'applied', 'pendingRestart', 'message'],
  properties: {
    source: { type: 'string' },
    applied: { type: 'array', items: CHANGE },
    pendingRestart: { type: 'array', items: PENDING },
    message: { type: 'string' },
  },
} as const;

const NAME_PARAMS = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } as const;

/**
 * System parameters: list, read, change (new calls at once, persisted), reset to the file's value,
 * reload params.yaml; server.yaml settings: show, reload.
 */
export const parameterRoutes: RouteModule = (app, ctx) => {
  app.get('/api/v1/parameters', {
    schema: {
      summary: 'List every system parameter with the value in force, where it came from (default, params.yaml, admin API), default, range, whether it applies live, and a value pending a restart', tags: ['parameters'],
      response: {
        200: {
          type: 'object', required: ['parameters', 'pendingRestart'],
          properties: { parameters: { type: 'array', items: PARAM_VIEW }, pendingRestart: { type: 'array', items: { type: 'string' } } },
        },
        ...errorResponses(),
      },
    },
  }, async () => {
    const parameters = ctx.params.list();
    return { parameters, pendingRestart: parameters.filter((p) => p.pending !== undefined).map((p) => p.name) };
  });

  // Registered before /:name so that "reload" is never taken for a parameter name.
  app.post('/api/v1/parameters/reload', {
    schema: {
      summary: 'Re-read params.yaml (as SIGHUP or an edit of the file does): validated whole, then the live parameters are swapped in for new calls at once; restart-only ones keep their value and are listed. A bad file answers 400 naming file, parameter and range, and nothing changes', tags: ['parameters'],
      response: { 200: PARAMS_UPDATE, ...errorResponses(400, 403) },
    },
  }, async () => ctx.params.reload());

  app.get('/api/v1/server', {
    schema: {
      summary: 'server.yaml settings in force, whether each applies live or needs a restart, and a value pending a restart', tags: ['parameters'],
      response: { 200: { type: 'object', required: ['fields'], properties: { fields: { type: 'array', items: SERVER_FIELD } } }, ...errorResponses() },
    },
  }, async () => ctx.params.server());

  app.post('/api/v1/server/reload', {
    schema: {
      summary: 'Re-read server.yaml (as SIGHUP or an edit of the file does): live fields (drainSeconds, maxMessageBytes, udpMtu, userAgent, logLevel) apply at once, the rest are listed as pending a restart. A bad file answers 400 naming every field, and nothing changes', tags: ['parameters'],
      response: { 200: SERVER_UPDATE, ...errorResponses(400, 403) },
    },
  }, async () => ctx.params.reloadServer());

  app.get<{ Params: { name: string } }>('/api/v1/parameters/:name', {
    schema: { summary: 'Read one system parameter', tags: ['parameters'], params: NAME_PARAMS, response: { 200: PARAM_VIEW, ...errorResponses(404) } },
  }, async (req) => ctx.params.get(req.params.name));

  app.put<{ Params: { name: string }; Body: { value: unknown } }>('/api/v1/parameters/:name', {
    schema: {
      summary: 'Change a system parameter: validated through the registry, persisted, effective for new calls at once (a restart-only parameter: at the next start, shown as pending)',
      tags: ['parameters'], params: NAME_PARAMS,
      // `value` is left to the registry: ajv's type coercion (on for query strings) would turn "0" into 0 or null into "".
      body: { type: 'object', required: ['value'], additionalProperties: false, properties: { value: { description: 'number, On/Off or boolean, text, list of seconds, or null / "None"' } } },
      response: { 200: PARAM_VIEW, ...errorResponses(400, 403, 404, 413) },
    },
  }, async (req) => ctx.params.set(req.params.name, req.body.value));

  app.delete<{ Params: { name: string } }>('/api/v1/parameters/:name', {
    schema: {
      summary: 'Drop the API override: the value from params.yaml (or the default) applies to new calls again',
      tags: ['parameters'], params: NAME_PARAMS, response: { 200: PARAM_VIEW, ...errorResponses(403, 404) },
    },
  }, async (req) => ctx.params.reset(req.params.name));
};
