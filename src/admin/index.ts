/** The admin room: the Fastify admin API over a running switch. */
export { startAdmin, type AdminOptions, type AdminServer } from './server.js';
export { loadTokens, newToken, TokenBook, type TokenInit, type TokenRole, type AuthResult } from './auth.js';
export { ParamAdmin, OVERRIDES_FILE, type ParamView } from './params.js';
export { callView, type CallView, type CallViewState } from './calls.js';
export { buildOpenApi, type RouteInfo, type RouteSchema } from './openapi.js';
export { RateLimiter, type RateLimitOptions } from './rate-limit.js';
export { adminErrors } from './errors.js';
