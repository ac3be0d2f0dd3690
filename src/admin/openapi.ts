/** What the generator needs of a registered route (collected from fastify's onRoute hook). */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly schema?: RouteSchema;
}

export interface RouteSchema {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly params?: JsonSchema;
  readonly querystring?: JsonSchema;
  readonly body?: JsonSchema;
  readonly response?: Record<string, JsonSchema>;
  /** Marks a route whose 200 body is not JSON (e.g. /metrics). */
  readonly produces?: string;
  /** A route that needs no token (none today; kept so the document says so if one appears). */
  readonly public?: boolean;
}

type JsonSchema = { readonly properties?: Record<string, unknown>; readonly required?: readonly string[]; readonly [k: string]: unknown };

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK', '201': 'Created', '204': 'No content', '400': 'Invalid request', '401': 'Missing or invalid token',
  '403': 'Token is read-only', '404': 'Not found', '409': 'Conflict', '503': 'Unavailable', '413': 'Body too large', '429': 'Rate limited', '500': 'Internal error',
};

/** An OpenAPI 3.1 document of the given routes (3.1 takes JSON Schema as is, null types included). */
export function buildOpenApi(routes: readonly RouteInfo[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = [...routes].filter((r) => r.method !== 'HEAD').sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const r of sorted) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const s = r.schema ?? {};
    const parameters: unknown[] = [];
    for (const [name, schema] of Object.entries(s.params?.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema });
    const reqQ = new Set(s.querystring?.required ?? []);
    for (const [name, schema] of Object.entries(s.querystring?.properties ?? {})) parameters.push({ name, in: 'query', required: reqQ.has(name), schema });
    const responses: Record<string, unknown> = {};
    for (const [code, schema] of Object.entries(s.response ?? {})) {
      const mime = code === '200' && s.produces ? s.produces : 'application/json';
      responses[code] = { description: STATUS_TEXT[code] ?? code, content: { [mime]: { schema } } };
    }
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').split(/[/_-]/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('')}`,
      responses,
    };
    if (s.summary) op.summary = s.summary;
    if (s.description) op.description = s.description;
    if (s.tags) op.tags = [...s.tags];
    if (parameters.length) op.parameters = parameters;
    if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
    if (s.public) op.security = [];
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Token from <dataDir>/admin-token or admin-tokens.json' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
