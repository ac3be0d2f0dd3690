import { pino, type Logger } from 'pino';

/**
 * The one process logger. Each room takes `logger.child({ component })`. Nothing per packet at
 * info level. Level from SSW_LOG_LEVEL (default info; tests set it to 'silent' or 'warn').
 */
export const logger: Logger = pino({
  level: process.env.SSW_LOG_LEVEL ?? 'info',
  base: { pid: process.pid },
  redact: { paths: ['authorization', 'proxyAuthorization', 'headers.authorization', 'token'], censor: '[redacted]' },
});

export function componentLogger(component: string): Logger {
  return logger.child({ component });
}
export type { Logger };
