/**
 * Failover policy and end-reason mapping, as pure functions of an attempt's outcome, the
 * parameters and the gateway's switches. The SIP layer runs the attempts; this decides.
 */
import type { EndReason, MappingGatewayPolicy, ParamReader, RoutingGatewayPolicy } from './types.js';

/** Furthest phase an attempt reached before it ended (rtp = media seen, from the media layer). */
export type AttemptPhase = 'no-response' | 'trying' | 'progress' | 'sdp' | 'ringing' | 'rtp' | 'answered';

export interface AttemptOutcome {
  /** Final SIP code received, or null when a timer ended the attempt. */
  readonly code: number | null;
  readonly phase: AttemptPhase;
  /** The attempt was the n-th for this call (1-based). */
  readonly attempt: number;
  /** Whether the far end sent SDP (183/180 with SDP) before failing. */
  readonly sawSdp?: boolean | undefined;
  /** Whether any 18x ringing was seen before failing. */
  readonly sawRinging?: boolean | undefined;
  /** Whether RTP from the far end was seen before failing. */
  readonly sawRtp?: boolean | undefined;
}

export interface SwitchDecision {
  readonly next: boolean;
  /** Why (for traces and explain): the rule that decided. */
  readonly why: string;
}

const BUSY_CODES = new Set([486, 600]);

/** Decides whether to try the next candidate after a failed attempt on gw. */
export function shouldTryNext(o: AttemptOutcome, gw: RoutingGatewayPolicy, params: ParamReader): SwitchDecision {
  if (o.phase === 'answered' || (o.code !== null && o.code >= 200 && o.code < 300)) return { next: false, why: 'answered' };
  const limit = params.numOrNull('SS_GATEWAY_SWITCH_LIMIT');
  if (limit !== null && limit > 0 && o.attempt >= limit) return { next: false, why: 'SS_GATEWAY_SWITCH_LIMIT' };
  if (o.code !== null && BUSY_CODES.has(o.code)) {
    if (!(gw.switchAfterBusy ?? !params.bool('SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY'))) return { next: false, why: 'stop after user busy' };
  }
  if (o.sawRtp || o.phase === 'rtp') {
    if (!(gw.switchAfterRtp ?? !params.bool('SS_GATEWAY_SWITCH_STOP_AFTER_RTP_START'))) return { next: false, why: 'stop after RTP start' };
  }
  if (o.sawSdp || o.phase === 'sdp') {
    if (!(gw.switchAfterSdp ?? !params.bool('SS_SIP_STOP_SWITCH_AFTER_SDP'))) return { next: false, why: 'stop after SDP' };
  }
  if (o.sawRinging || o.phase === 'ringing') {
    if (!(gw.switchAfterRinging ?? params.bool('SS_GATEWAY_SWITCH_UNTIL_CONNECT'))) return { next: false, why: 'stop after ringing' };
  }
  if (o.code !== null && gw.switchOnCodes.length > 0 && !gw.switchOnCodes.includes(o.code)) {
    return { next: false, why: `code ${o.code} not in the gateway's switch list` };
  }
  return { next: true, why: o.code === null ? `timeout in phase ${o.phase}` : `failure ${o.code}` };
}

/** Default SIP code per end reason (before error-code replacement). */
export const DEFAULT_REASON_CODES: Readonly<Record<EndReason, number>> = Object.freeze({
  'no-available-router': 503,
  'customer-capacity-full': 486,
  'customer-cps-exceeded': 503,
  'customer-locked': 403,
  'response-timeout': 408,
  'connection-timeout': 408,
  'user-busy': 486,
  'remote-failure': 500,
  'switch-limit': 503,
});

export interface CallerFailure {
  readonly reason: EndReason;
  /** SIP code sent to the caller, after error-code replacement. */
  readonly sipCode: number;
  /** The carrier's own code, when one was received. */
  readonly remoteCode: number | null;
}

/** Reason for a failed attempt (the last one's is what the caller hears). */
export function reasonForOutcome(o: AttemptOutcome): EndReason {
  if (o.code === null) return o.phase === 'no-response' ? 'connection-timeout' : 'response-timeout';
  if (BUSY_CODES.has(o.code)) return 'user-busy';
  return 'remote-failure';
}

/**
 * Maps a failure to what the caller sees: error-code replacement by "sip:<code>" first, then by
 * reason name; otherwise the carrier's code (remote failures) or the reason's default code.
 */
export function mapFailure(failure: EndReason | AttemptOutcome, mapping?: Pick<MappingGatewayPolicy, 'errorCodes'>): CallerFailure {
  const reason = typeof failure === 'string' ? failure : reasonForOutcome(failure);
  const remoteCode = typeof failure === 'string' ? null : failure.code;
  const table = mapping?.errorCodes ?? {};
  const byCode = remoteCode !== null ? table[`sip:${remoteCode}`] : undefined;
  const sipCode = byCode ?? table[reason] ?? (reason === 'remote-failure' || reason === 'user-busy' ? remoteCode : null) ?? DEFAULT_REASON_CODES[reason];
  return { reason, sipCode, remoteCode };
}
