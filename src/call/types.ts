import type { MappingGateway } from '../config/types.js';
import type { RoutingGatewayBase as RoutingGateway } from '../routing/index.js';
import type { SipMessage } from '../wasm/sip.js';
import type { Inbound, ServerTransaction } from '../sip/index.js';
import type { ParamSet } from '../config/index.js';

/** Why a call ended: a stable code, a text for people, and who ended it. */
export type EndReason =
  | 'normal-clearing' // a leg hung up after answer
  | 'caller-cancel' // CANCEL (or BYE) before answer
  | 'forbidden' // unknown source
  | 'no-route' // "No available router"
  | 'all-gateways-failed'
  | 'callee-failure' // the carrier's final response, relayed
  | 'response-timeout' // no answer in a phase time (SS_SIP_TIMEOUT_*)
  | 'connection-timeout' // no SIP response at all after the retransmissions
  | 'ack-timeout' // the caller never ACKed our 200
  | 'max-duration'
  | 'session-timeout' // a session refresh failed or never came (RFC 4028), or a liveness re-INVITE got 408/481
  | 'refused' // a policy refusal (authorization), with its own text
  | 'shutdown'
  | 'operator-release' // hung up by an operator (admin API)
  | 'bad-request'
  | 'server-error';

export const enum EndDirection {
  Caller = 0,
  Callee = 1,
  Server = 2,
}

/** The three forms of a number kept for the CDR (as received, as billed, as sent to the gateway). */
export interface NumberForms {
  received: string;
  billed: string;
  sent: string;
}

/** One carrier tried for a call. */
export interface Attempt {
  readonly gateway: RoutingGateway;
  readonly callee: string;
  readonly caller: string;
  readonly callId: string;
  readonly startMono: number;
  /** Monotonic ms of the first 18x (PDD), or -1. */
  firstProvisionalMono: number;
  /** Final status from the carrier, 0 = none yet, 408 when it timed out. */
  status: number;
  /** Highest provisional seen (180, 183). */
  provisional: number;
  sdpSeen: boolean;
}

/** What the switch knows about a call: everything the routing, billing and CDR parts need. */
export interface CallRecord {
  /** Unique flow number (CDR key). */
  readonly flowNo: string;
  readonly ingress: MappingGateway;
  readonly source: Inbound;
  readonly callerCallId: string;
  readonly callee: NumberForms;
  readonly caller: NumberForms;
  /** The parameter set in force when the call started (calls keep theirs). */
  readonly params: ParamSet;
  readonly startWall: number;
  readonly startMono: number;
  answerWall: number;
  answerMono: number;
  endWall: number;
  endMono: number;
  readonly attempts: Attempt[];
  endReason: EndReason | null;
  endReasonText: string;
  endDirection: EndDirection;
  /** Final SIP status sent to the caller (200 for an answered call). */
  callerSipCode: number;
  /** Last final SIP status received from a carrier (0 = none). */
  calleeSipCode: number;
  /** Max duration from authorization (ms), 0 = none. */
  maxDurationMs: number;
  /** Why the call is cut at maxDurationMs (CDR text): the balance, or a configured cap. */
  maxDurationText: string;
  /** A configured cap (SS_MAX_CALL_DURATION, a gateway's maxCallSeconds) that no balance extension may pass; 0 = none. */
  durationCapMs: number;
  /** The CDR text when the call is cut at durationCapMs. */
  durationCapText: string;
  /** Free-form data the policy attaches (rating grant, reservation id...). */
  ext: Record<string, unknown>;
}

/** The carrier chosen for an attempt, with the numbers to send it. */
export interface RouteCandidate {
  readonly gateway: RoutingGateway;
  /** Request-URI to send instead of `sip:<callee>@<gateway address>` (a registered phone's contact). */
  readonly target?: string;
}

export type Authorization = { readonly ok: true; readonly maxDurationMs: number } | { readonly ok: false; readonly reason: EndReason; readonly text: string; readonly status: number };

export interface AttemptOutcome {
  readonly attempt: Attempt;
  /** The carrier's final status, or 408 (response timeout) / 503 (no response or transport failure). */
  readonly status: number;
  readonly timedOut: boolean;
  readonly attemptsSoFar: number;
}

/**
 * The seams of a call. The signaling core calls these at fixed points; the routing, dial-plan,
 * billing and CDR parts implement them. All synchronous: the engines they call are in memory.
 */
export interface CallPolicy {
  /** Which mapping gateway sent this INVITE (by source IP); null -> 403 and no routing. */
  ingress(src: Inbound, msg: SipMessage): MappingGateway | null;
  /**
   * When present, used instead of `ingress`: may answer the INVITE itself (a digest challenge, a
   * refusal) and then returns 'answered'.
   */
  ingressOf?(stx: ServerTransaction): MappingGateway | null | 'answered';
  /** Mapping-gateway dial plan: sets call.callee.billed / call.caller.billed (before rating). */
  rewriteIngress(call: CallRecord): void;
  /** Account and rate checks: a refusal, or a grant with a maximum duration (0 = none). */
  authorize(call: CallRecord): Authorization;
  /** Carriers to try, in order. */
  routeCandidates(call: CallRecord): RouteCandidate[];
  /**
   * An attempt on this carrier is about to start: false skips the carrier (its capacity or CPS is
   * full). Whatever it takes is given back in callEnded.
   */
  attemptStarting?(call: CallRecord, c: RouteCandidate): boolean;
  /** Numbers sent to this carrier (routing-gateway dial plan, after rating). */
  rewriteEgress(call: CallRecord, c: RouteCandidate): { callee: string; caller: string };
  /** After a failed attempt: try the next candidate? */
  tryNext(call: CallRecord, outcome: AttemptOutcome): boolean;
  /** The SIP status and reason phrase sent to the caller for an end reason (error-code replacement). */
  failureStatus(call: CallRecord, reason: EndReason, carrierStatus: number): { status: number; reason?: string };
  /**
   * The call reached its maximum duration: may it go on? Returns the new maximum (ms from answer),
   * or a value not above the current one to cut the call. Prepaid grants come in slices this way.
   */
  extendDuration?(call: CallRecord): number;
  /** The carrier answered (billing clock starts; crash checkpoints begin). */
  callAnswered?(call: CallRecord): void;
  /**
   * The call is over (exactly once per call attempt that got past parsing): CDR, billing, stats.
   * A promise, when returned, resolves once the CDR is durable; the BYE that ended the call is
   * answered only then, so a call its peer saw finish always has its CDR, even after a kill -9.
   */
  callEnded(call: CallRecord): void | Promise<void>;
}
