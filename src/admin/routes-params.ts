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
  },
} as const;

const NAME_PARAMS = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } as const;

/** System parameters: list, read, change (new calls at once, persisted), reset to the file's value. */
export const parameterRoutes: RouteModule = (app, ctx) => {
  app.get('/api/v1/parameters', {
    schema: {
      summary: 'List every system parameter with value, default, range, unit and description', tags: ['parameters'],
      response: { 200: { type: 'object', required: ['parameters'], properties: { parameters: { type: 'array', items: PARAM_VIEW } } }, ...errorResponses() },
    },
  }, async () => ({ parameters: ctx.params.list() }));

  app.get<{ Params: { name: string } }>('/api/v1/parameters/:name', {
    schema: { summary: 'Read one system parameter', tags: ['parameters'], params: NAME_PARAMS, response: { 200: PARAM_VIEW, ...errorResponses(404) } },
  }, async (req) => ctx.params.get(req.params.name));

  app.put<{ Params: { name: string }; Body: { value: unknown } }>('/api/v1/parameters/:name', {
    schema: {
      summary: 'Change a system parameter: validated through the registry, effective for new calls at once, persisted',
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
