import { createError } from '../util/errors.js';

/** Coded errors of the CDR room. */
export const CdrErrors = {
  journalClosed: createError('SSW_ERR_CDR_JOURNAL_CLOSED', 503),
  journalWrite: createError('SSW_ERR_CDR_JOURNAL_WRITE', 500),
  badRecord: createError('SSW_ERR_CDR_BAD_RECORD', 500),
} as const;
