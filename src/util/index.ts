export { SswError, createError, isSswError } from './errors.js';
export { logger, componentLogger, type Logger } from './log.js';
export { monotonicMs, wallClockMs, utcOffsetMinutes } from './time.js';
