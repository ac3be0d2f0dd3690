/**
 * The billing parameters, read once from the parameter registry (VOS3000 names) and frozen. A
 * call keeps the settings object it was authorized with; a live change affects new calls only.
 */
import { createError } from '../util/errors.js';
import { MONEY_SCALE } from './money.js';

/** What the billing engine needs from the parameter registry (written in another room). */
export interface BillingParamSource {
  num(name: string): number;
  numOrNull(name: string): number | null;
}

export interface BillingSettings {
  /** SERVER_BILLING_FEE_PRECISION: decimal places of every amount charged (0..7). */
  readonly feePrecision: number;
  /** SERVER_BILLING_HOLD_TIME_PRECISION: hold time is rounded UP to a multiple of this (ms). */
  readonly holdTimePrecisionMs: number;
  /** SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY: a recharge extends expiry by this many days. */
  readonly payDelayExpireDays: number;
  /** SS_MAX_CALL_DURATION in seconds; null = no global cap. */
  readonly maxCallDurationS: number | null;
}

export const DEFAULT_BILLING_SETTINGS: BillingSettings = Object.freeze({
  feePrecision: 7,
  holdTimePrecisionMs: 1000,
  payDelayExpireDays: 365,
  maxCallDurationS: null,
});

const badSetting = createError('SSW_ERR_BILLING_SETTING', 500);

/** Validates and freezes settings; throws SSW_ERR_BILLING_SETTING on a bad value. */
export function makeBillingSettings(partial: Partial<BillingSettings> = {}): BillingSettings {
  const s = { ...DEFAULT_BILLING_SETTINGS, ...partial };
  if (!Number.isInteger(s.feePrecision) || s.feePrecision < 0 || s.feePrecision > MONEY_SCALE) {
    throw badSetting(`SERVER_BILLING_FEE_PRECISION must be an integer 0..${MONEY_SCALE}, got ${s.feePrecision}`);
  }
  if (!Number.isInteger(s.holdTimePrecisionMs) || s.holdTimePrecisionMs < 1 || s.holdTimePrecisionMs > 60_000) {
    throw badSetting(`SERVER_BILLING_HOLD_TIME_PRECISION must be an integer 1..60000 ms, got ${s.holdTimePrecisionMs}`);
  }
  if (!Number.isInteger(s.payDelayExpireDays) || s.payDelayExpireDays < 0) {
    throw badSetting(`SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY must be a non-negative integer, got ${s.payDelayExpireDays}`);
  }
  if (s.maxCallDurationS !== null && (!Number.isInteger(s.maxCallDurationS) || s.maxCallDurationS < 1)) {
    throw badSetting(`SS_MAX_CALL_DURATION must be a positive integer (s) or none, got ${s.maxCallDurationS}`);
  }
  return Object.freeze(s);
}

/** Reads the four billing parameters from the registry; SS_MAX_CALL_DURATION 0 means none. */
export function billingSettingsFrom(params: BillingParamSource): BillingSettings {
  const maxCall = params.numOrNull('SS_MAX_CALL_DURATION');
  return makeBillingSettings({
    feePrecision: params.num('SERVER_BILLING_FEE_PRECISION'),
    holdTimePrecisionMs: params.num('SERVER_BILLING_HOLD_TIME_PRECISION'),
    payDelayExpireDays: params.num('SERVER_PAY_DELAY_CUSTOMER_EXPIRE_DAY'),
    maxCallDurationS: maxCall === null || maxCall === 0 ? null : maxCall,
  });
}
