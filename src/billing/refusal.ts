/**
 * Why billing refuses a call: the VOS3000 end-reason label, a stable code for CDRs and metrics,
 * and the default SIP status (operators may replace it through error-code replacement).
 */

export type RefusalReason =
  | 'No matching rate'
  | 'Account locked'
  | 'Account expired'
  | 'Insufficient balance'
  | 'Account concurrency limit'
  | 'No such account';

export interface Refusal {
  readonly ok: false;
  readonly reason: RefusalReason;
  readonly endReasonCode: string;
  readonly sipStatus: number;
}

const TABLE: Readonly<Record<RefusalReason, readonly [string, number]>> = {
  'No matching rate': ['SSW_ERR_BILLING_NO_RATE', 404],
  'Account locked': ['SSW_ERR_BILLING_ACCOUNT_LOCKED', 403],
  'Account expired': ['SSW_ERR_BILLING_ACCOUNT_EXPIRED', 403],
  'Insufficient balance': ['SSW_ERR_BILLING_INSUFFICIENT_BALANCE', 402],
  'Account concurrency limit': ['SSW_ERR_BILLING_CONCURRENCY', 503],
  'No such account': ['SSW_ERR_BILLING_NO_ACCOUNT', 403],
};

const REFUSALS = new Map<RefusalReason, Refusal>(
  (Object.keys(TABLE) as RefusalReason[]).map((r) => [r, Object.freeze({ ok: false as const, reason: r, endReasonCode: TABLE[r][0], sipStatus: TABLE[r][1] })]),
);

/** The shared frozen refusal object for a reason (no allocation per refused call). */
export function refusal(reason: RefusalReason): Refusal {
  return REFUSALS.get(reason)!;
}

/** Every refusal, for docs and for the SIP layer's code-replacement table. */
export const ALL_REFUSALS: readonly Refusal[] = [...REFUSALS.values()];
