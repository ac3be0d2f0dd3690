import type { RouteModule } from './context.js';
import { errorResponses } from './context.js';
import { monotonicMs } from '../util/time.js';

const MS3 = { type: 'object', properties: { p50: { type: 'number' }, p99: { type: 'number' }, max: { type: 'number' } } } as const;

/** Health, performance, the OpenAPI document and Prometheus /metrics. */
export const systemRoutes: RouteModule = (app, ctx) => {
  app.get('/api/v1/health', {
    schema: {
      summary: 'Liveness: the switch answers and whether it is draining', tags: ['system'],
      response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok', 'draining'] }, uptimeSeconds: { type: 'number' }, activeCalls: { type: 'integer' } } }, ...errorResponses() },
    },
  }, async () => ({
    status: ctx.sw.b2bua.draining ? 'draining' : 'ok',
    uptimeSeconds: Math.round((monotonicMs() - ctx.startedMono) / 1000),
    activeCalls: ctx.sw.b2bua.calls.size,
  }));

  app.get('/api/v1/performance', {
    schema: {
      summary: 'Current calls, CPS, event-loop delay, live transactions, CDR queue depth', tags: ['system'],
      response: {
        200: {
          type: 'object',
          properties: {
            calls: { type: 'object', properties: { active: { type: 'integer' }, started: { type: 'integer' }, answered: { type: 'integer' }, failed: { type: 'integer' } } },
            cps: { type: 'object', properties: { lastSecond: { type: 'number' }, lastMinute: { type: 'number' } } },
            eventLoopDelayMs: MS3,
            transactions: { type: 'object', properties: { server: { type: 'integer' }, client: { type: 'integer' } } },
            cdrQueueDepth: { type: 'integer' },
            uptimeSeconds: { type: 'number' },
            memory: { type: 'object', properties: { rssBytes: { type: 'integer' }, heapUsedBytes: { type: 'integer' } } },
          },
        },
        ...errorResponses(),
      },
    },
  }, async () => {
    const sw = ctx.sw;
    const c = sw.b2bua.counters;
    const d = ctx.metrics.eventLoopDelay();
    const mem = process.memoryUsage();
    return {
      calls: { active: sw.b2bua.calls.size, started: c.attempts, answered: c.answered, failed: c.failed },
      cps: ctx.cps.cps(),
      eventLoopDelayMs: { p50: round2(d.p50Ms), p99: round2(d.p99Ms), max: round2(d.maxMs) },
      transactions: { server: sw.tx.liveServer, client: sw.tx.liveClient },
      cdrQueueDepth: ctx.metrics.cdrQueueDepth(),
      uptimeSeconds: Math.round((monotonicMs() - ctx.startedMono) / 1000),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  });

  app.get('/api/v1/openapi.json', {
    schema: { summary: 'This document', tags: ['system'], response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses() } },
  }, async () => ctx.openapi());

  app.get('/metrics', {
    schema: {
      summary: 'Prometheus text format; a token or a client IP on the allow-list', tags: ['system'], produces: 'text/plain; version=0.0.4',
      response: { 200: { type: 'string' }, ...errorResponses() },
    },
  }, async (_req, reply) => {
    const text = await ctx.metrics.text();
    return reply.type(ctx.metrics.contentType).send(text);
  });
};

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
