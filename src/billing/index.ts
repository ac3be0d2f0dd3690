/**
 * The billing room's door: exact money, rate groups, pure rating, accounts with reservations
 * and a ledger, rate-deck CSV import/export, and rate helpers for the routing engine.
 */
export {
  MONEY_SCALE, MONEY_ONE, parseMoney, money, formatMoney, roundUp, roundHalfUp, ceilDiv, floorDiv, precisionStep,
  type Money, type MoneyParse,
} from './money.js';
export {
  DEFAULT_BILLING_SETTINGS, makeBillingSettings, billingSettingsFrom,
  type BillingSettings, type BillingParamSource,
} from './settings.js';
export {
  CALL_TYPES, roundHoldMs, billedSecondsFor, rateSecondsNumerator, costOfBilled, rateCall,
  maxAffordableBilledSeconds, maxHoldMsFor, MAX_GRANT_SECONDS,
  type CallType, type RateRow, type RateSection, type RatedCall,
} from './rating.js';
export {
  RateGroup, MapPrefixIndex, mapPrefixIndex, rateRowProblem,
  type PrefixIndex, type PrefixIndexFactory, type RateLookup,
} from './rate-table.js';
export { refusal, ALL_REFUSALS, type Refusal, type RefusalReason } from './refusal.js';
export {
  AccountBook, rateVendor,
  type AccountBookOptions, type AccountInit, type AccountKind, type AccountPatch, type AccountView, type PackageInit,
  type PackageView, type LedgerEntry, type LedgerReason, type BalanceSink, type Grant, type AuthResult,
  type AuthorizeOptions, type AvailableTime, type Settlement, type SettleResult, type VendorInput, type VendorCharge,
} from './accounts.js';
export { vendorRatePerMinute, compareRates, meetsMinProfit, withinMaxRate } from './routing-rates.js';
export {
  parseRateDeck, importRateDeck, rateDeckToCsv, rateDeckRecord, RATE_DECK_COLUMNS,
  type RateDeckError, type RateDeckResult, type RateDeckOptions, type ImportDeckOptions,
} from './rate-deck.js';
export {
  packRateRows, editPacked, packedSlotOf, PackedPrefixIndex, packedTransferList, packedPrefixes, checkPacked, packedRow,
  type RowGrouping, type RowKey, type PackOptions, type PackedRates,
} from './packed-rates.js';
