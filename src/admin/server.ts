import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Softswitch } from '../switch.js';
import { SswMetrics } from '../metrics/index.js';
import { componentLogger } from '../util/log.js';
import { isSswError } from '../util/errors.js';
import { monotonicMs } from '../util/time.js';
import { TokenBook, loadTokens, type TokenInit } from './auth.js';
import { adminErrors } from './errors.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { buildOpenApi, type RouteInfo, type RouteSchema } from './openapi.js';
import { ParamAdmin } from './params.js';
import { CpsSampler } from './perf.js';
import type { AdminContext } from './context.js';
import { parameterRoutes } from './routes-params.js';
import { callRoutes } from './routes-calls.js';
import { systemRoutes } from './routes-system.js';
import { engineRoutes } from './routes-engines.js';
import { rateRoutes } from './routes-rates.js';
import { networkRoutes } from './routes-network.js';
import { phoneRoutes } from './routes-phones.js';
import { CallFlows } from './analysis.js';

const log = componentLogger('admin');

export interface AdminOptions {
  /** Listen address (default 127.0.0.1) and port (default 8080; 0 = any free port). */
  readonly host?: string;
  readonly port?: number;
  /** Where admin-token, admin-tokens.json and params-overrides.json live. */
  readonly dataDir: string;
  /** Extra tokens besides the files (tests, embedding). */
  readonly tokens?: readonly TokenInit[];
  /** Client IPs that may read /metrics without a token (default loopback). */
  readonly metricsAllow?: readonly string[];
  /** Largest request body in bytes (default 64 KiB). */
  /** Finished calls whose flow "call analysis" keeps in memory (default 10,000; 0 = none). */
  readonly callFlows?: number;
  readonly bodyLimit?: number;
  /** Token bucket per client IP (default burst 200, 100/s). */
  readonly rateLimit?: RateLimitOptions;
  /** The metrics registry to serve; one is created (and closed with the server) when absent. */
  readonly metrics?: SswMetrics;
  /** Where the first-start token line goes (default stdout, never the logger). */
  readonly printToken?: (line: string) => void;
}

export interface AdminServer {
  readonly port: number;
  readonly url: string;
  readonly app: FastifyInstance;
  readonly metrics: SswMetrics;
  close(): Promise<void>;
}

/** A failed token check costs this many requests' worth of the client's bucket (slows guessing). */
const AUTH_FAILURE_COST = 10;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Starts the admin API on the switch: bearer tokens (read-only / read-write), a token bucket per
 * client, JSON schemas in and out, coded errors, OpenAPI at /api/v1/openapi.json, Prometheus at
 * /metrics. Persisted parameter overrides are applied before it listens.
 */
export async function startAdmin(sw: Softswitch, opts: AdminOptions): Promise<AdminServer> {
  const { tokens, created, path: tokenPath } = loadTokens(opts.dataDir, opts.tokens);
  const book = new TokenBook(tokens);
  const params = new ParamAdmin(sw, opts.dataDir);
  params.applyPersisted();
  const ownMetrics = !opts.metrics;
  const metrics = opts.metrics ?? new SswMetrics(sw);
  const cps = new CpsSampler(sw);
  const limiter = new RateLimiter(opts.rateLimit ?? { burst: 200, perSecond: 100 });
  const allow = new Set(opts.metricsAllow ?? ['127.0.0.1', '::1', '::ffff:127.0.0.1']);
  const routes: RouteInfo[] = [];
  let openapi: Record<string, unknown> | null = null;

  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    // Unknown body fields are refused, not silently dropped; query strings still coerce to numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
  });

  app.addHook('onRoute', (r) => {
    for (const m of Array.isArray(r.method) ? r.method : [r.method]) routes.push({ method: m, url: r.url, schema: r.schema as RouteSchema | undefined });
  });

  app.addHook('onRequest', async (req, reply) => {
    const ip = req.ip;
    const wait = limiter.take(ip);
    if (wait > 0) {
      metrics.counter('ssw_admin_rate_limited_total').inc();
      reply.header('retry-after', String(wait));
      return sendError(reply, adminErrors.rateLimited(`too many requests from ${ip}; retry in ${wait} s`));
    }
    const auth = book.check(req.headers.authorization);
    if (!auth.ok) {
      if (req.url.split('?')[0] === '/metrics' && allow.has(ip)) return;
      metrics.adminAuthFailure(auth.reason);
      limiter.charge(ip, AUTH_FAILURE_COST);
      reply.header('www-authenticate', 'Bearer realm="ssw"');
      return sendError(reply, adminErrors.unauthorized(auth.reason === 'missing' ? 'an API token is required: Authorization: Bearer <token>' : 'the API token is not valid'));
    }
    if (auth.role === 'read-only' && WRITE_METHODS.has(req.method)) {
      metrics.adminAuthFailure('read-only');
      return sendError(reply, adminErrors.forbidden(`token ${JSON.stringify(auth.name)} is read-only; ${req.method} needs a read-write token`));
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    metrics.counter('ssw_admin_requests_total').inc({ method: req.method, route, status_class: `${Math.floor(reply.statusCode / 100)}xx` });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isSswError(err)) return sendError(reply, err);
    if (err.validation) return sendError(reply, adminErrors.validation(err.message));
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, adminErrors.bodyTooLarge(`request body over ${opts.bodyLimit ?? 64 * 1024} bytes`));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, adminErrors.mediaType('send JSON: Content-Type: application/json'));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendError(reply, adminErrors.badJson(err.message));
    }
    if (err instanceof SyntaxError || (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)) {
      return sendError(reply, adminErrors.badJson(err.message));
    }
    log.error({ err, url: req.url, method: req.method }, 'admin route failed');
    return sendError(reply, adminErrors.internal('internal error; see the switch log'));
  });

  app.setNotFoundHandler((req, reply) => sendError(reply, adminErrors.notFound(`no route ${req.method} ${req.url.split('?')[0]}`)));

  // Call analysis keeps the flows of the last finished calls (a bounded ring, ~1-2 KiB each).
  const flows = new CallFlows(opts.callFlows ?? 10_000);
  sw.onCallEnded.push(flows.listener);
  const dropFlows = () => {
    const i = sw.onCallEnded.indexOf(flows.listener);
    if (i >= 0) sw.onCallEnded.splice(i, 1);
  };
  const ctx: AdminContext = {
    sw, metrics, params, cps, flows, startedMono: monotonicMs(),
    openapi: () => (openapi ??= buildOpenApi(routes, { title: 'open-softswitch admin API', version: '1' })),
  };
  parameterRoutes(app, ctx);
  callRoutes(app, ctx);
  systemRoutes(app, ctx);
  engineRoutes(app, ctx);
  rateRoutes(app, ctx);
  networkRoutes(app, ctx);
  phoneRoutes(app, ctx);

  const host = opts.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: opts.port ?? 8080 });
  } catch (err) {
    cps.close();
    dropFlows();
    if (ownMetrics) metrics.close();
    throw adminErrors.bind(`admin API cannot listen on ${host}:${opts.port ?? 8080}: ${(err as Error).message}`);
  }
  const port = (app.server.address() as AddressInfo).port;
  if (created) {
    const print = opts.printToken ?? ((line: string) => process.stdout.write(line));
    print(`ssw: admin API token created; it is shown once and kept in ${tokenPath} (mode 0600):\n${created}\n`);
  }
  log.info({ host, port, tokens: book.size }, 'admin API listening');
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    port, url, app, metrics,
    async close() {
      cps.close();
      dropFlows();
      await app.close();
      if (ownMetrics) metrics.close();
    },
  };
}

function sendError(reply: FastifyReply, err: { code: string; message: string; status?: number | undefined }): FastifyReply {
  return reply.code(err.status ?? 500).type('application/json').send({ error: { code: err.code, message: err.message } });
}
