import { createError } from '../util/errors.js';

/** Coded errors of the store room. */
export const StoreErrors = {
  badUrl: createError('SSW_ERR_STORE_BAD_URL', 500),
  rangeTooLong: createError('SSW_ERR_STORE_RANGE_TOO_LONG', 400),
  badRange: createError('SSW_ERR_STORE_BAD_RANGE', 400),
  badTimeZone: createError('SSW_ERR_STORE_BAD_TIME_ZONE', 500),
  badMoney: createError('SSW_ERR_STORE_BAD_MONEY', 400),
  migration: createError('SSW_ERR_STORE_MIGRATION', 500),
  closed: createError('SSW_ERR_STORE_CLOSED', 503),
  noWriter: createError('SSW_ERR_STORE_NO_WRITER', 500),
} as const;
