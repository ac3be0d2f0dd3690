export { SswError, createError, isSswError } from './errors.js';
export { logger, componentLogger, type Logger } from './log.js';
export { monotonicMs, wallClockMs, utcOffsetMinutes } from './time.js';
export { SliceClock, SLICE_MS, yieldToLoop, forEachSliced, mapSliced, runSync, runSliced, type SlicedJob } from './slices.js';
