import { createError } from '../util/errors.js';

/** Coded errors of the admin API; each answers `{ error: { code, message } }` with its status. */
export const adminErrors = {
  unauthorized: createError('SSW_ERR_ADMIN_UNAUTHORIZED', 401),
  forbidden: createError('SSW_ERR_ADMIN_FORBIDDEN', 403),
  notFound: createError('SSW_ERR_ADMIN_NOT_FOUND', 404),
  unknownParam: createError('SSW_ERR_ADMIN_UNKNOWN_PARAM', 404),
  paramInvalid: createError('SSW_ERR_ADMIN_PARAM_INVALID', 400),
  validation: createError('SSW_ERR_ADMIN_VALIDATION', 400),
  badJson: createError('SSW_ERR_ADMIN_BAD_JSON', 400),
  bodyTooLarge: createError('SSW_ERR_ADMIN_BODY_TOO_LARGE', 413),
  mediaType: createError('SSW_ERR_ADMIN_MEDIA_TYPE', 415),
  rateLimited: createError('SSW_ERR_ADMIN_RATE_LIMITED', 429),
  callNotFound: createError('SSW_ERR_ADMIN_CALL_NOT_FOUND', 404),
  /** Create of something that exists already. */
  conflict: createError('SSW_ERR_ADMIN_CONFLICT', 409),
  internal: createError('SSW_ERR_ADMIN_INTERNAL', 500),
  /** A part the request needs (the store) cannot be reached right now. */
  unavailable: createError('SSW_ERR_ADMIN_UNAVAILABLE', 503),
  /** Start-up: a token file is unreadable or malformed. */
  tokens: createError('SSW_ERR_ADMIN_TOKENS', 500),
  /** Start-up: params-overrides.json holds a value the registry refuses. */
  overrides: createError('SSW_ERR_ADMIN_PARAM_OVERRIDES', 500),
  bind: createError('SSW_ERR_ADMIN_BIND', 500),
};

/** The JSON schema of every error body. */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
