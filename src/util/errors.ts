/**
 * Coded errors. Programmer and configuration errors throw these, loudly; malformed network input
 * never throws (it becomes a result that maps to a SIP response or a drop, plus a counter).
 * Codes are stable: `SSW_ERR_<AREA>_<WHAT>`.
 */
export class SswError extends Error {
  readonly code: string;
  /** HTTP status for the admin API, or SIP status where the error maps to one. */
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, status?: number, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SswError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Returns a factory for one error code, in the manner of fastify's createError. */
export function createError(code: string, status?: number) {
  return (message: string, details?: Record<string, unknown>) => new SswError(code, message, status, details);
}

export function isSswError(e: unknown): e is SswError {
  return e instanceof SswError;
}
