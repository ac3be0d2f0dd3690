/**
 * One call detail record: every field of VOS3000-REFERENCE §9 the switch knows. Exactly one per
 * call attempt. Money is bigint minor units (see MONEY_SCALE in the store); times are epoch ms.
 */

/** Who ended the call: 0 the caller, 1 the callee, 2 the server (timers, restart, limits). */
export type EndDirection = 0 | 1 | 2;

/** Per-direction media counters; filled in when the media plane lands. */
export interface CdrMedia {
  readonly callerPackets?: number;
  readonly callerBytes?: number;
  readonly calleePackets?: number;
  readonly calleeBytes?: number;
  readonly lost?: number;
  readonly jitterMs?: number;
}

export interface CdrRecord {
  /** Unique across the network; a second insert of the same flowNo is ignored (never billed twice). */
  readonly flowNo: string;
  /** Caller number as received from the customer / as billed (after ingress dial plan) / as sent to the gateway. */
  readonly callerAccess: string;
  readonly callerBilling: string;
  readonly callerGateway: string;
  readonly calleeAccess: string;
  readonly calleeBilling: string;
  readonly calleeGateway: string;
  /** Mapping gateway (customer) the call came in on, and its source IP. */
  readonly ingressGateway: string;
  readonly ingressIp: string;
  /** Routing gateway (carrier) of the last attempt, and its IP ("" when none was tried). */
  readonly egressGateway: string;
  readonly egressIp: string;
  /** Billing account (the customer's). */
  readonly account: string;
  /** Epoch ms: INVITE received, 200 OK (null when never answered), both legs released. */
  readonly startTime: number;
  readonly answerTime: number | null;
  readonly endTime: number;
  /** Talk time in ms (0 when not answered). */
  readonly holdTimeMs: number;
  /** Seconds charged after increments and rounding. */
  readonly billedSeconds: number;
  /** Customer charge, minor units. */
  readonly fee: bigint;
  /** The rate-table prefix used ("" when unrated). */
  readonly ratePrefix: string;
  /** What the carrier charges us, minor units, and the vendor (clearing) account it goes to. */
  readonly vendorCost: bigint;
  readonly vendorAccount: string;
  readonly endDirection: EndDirection;
  /** Stable end-reason code (e.g. 'normal clearing', 'server restart', 'rate not found'). */
  readonly endReason: string;
  readonly endReasonText: string;
  /** Final SIP status sent to the caller / received from the callee (0 when none). */
  readonly callerSipCode: number;
  readonly calleeSipCode: number;
  /** Post-dial delay in ms on each leg (0 when unknown). */
  readonly callerPdd: number;
  readonly calleePdd: number;
  readonly callerCallId: string;
  readonly calleeCallId: string;
  readonly gatewaysTried: number;
  readonly codec: string | null;
  readonly media: CdrMedia | null;
  /** True for a CDR made at start for a call that was up when the switch died. */
  readonly serverRestart: boolean;
}

/** End reason of CDRs made at start for calls that were up at a crash. */
export const END_REASON_SERVER_RESTART = 'server restart';

/** A CdrRecord with defaults for every field not given (empty strings, zeros, nulls). */
export function makeCdr(p: Partial<CdrRecord> & Pick<CdrRecord, 'flowNo' | 'startTime'>): CdrRecord {
  return {
    callerAccess: '', callerBilling: '', callerGateway: '',
    calleeAccess: '', calleeBilling: '', calleeGateway: '',
    ingressGateway: '', ingressIp: '', egressGateway: '', egressIp: '',
    account: '', answerTime: null, endTime: p.startTime, holdTimeMs: 0, billedSeconds: 0,
    fee: 0n, ratePrefix: '', vendorCost: 0n, vendorAccount: '',
    endDirection: 2, endReason: '', endReasonText: '',
    callerSipCode: 0, calleeSipCode: 0, callerPdd: 0, calleePdd: 0,
    callerCallId: '', calleeCallId: '', gatewaysTried: 0,
    codec: null, media: null, serverRestart: false,
    ...p,
  };
}

/** A signed change to an account's balance in minor units (negative = debit), applied once per (account, reason, ref). */
export interface LedgerChange {
  readonly account: string;
  readonly amount: bigint;
  /** e.g. 'call' for a customer debit, 'vendor' for a carrier's cost. */
  readonly reason: string;
  /** A call's free seconds taken from this package of the account (stored with the entry). */
  readonly packageId?: string;
  readonly packageSeconds?: number;
  /** Why, in words (a recharge's or an adjustment's memo). */
  readonly memo?: string;
}
