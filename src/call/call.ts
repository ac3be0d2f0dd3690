import type { SipMessage } from '../wasm/sip.js';
import type { RoutingGatewayBase as RoutingGateway } from '../routing/index.js';
import {
  newBranch, newCallId, newTag, uriHostPort, ALLOW,
  type ClientHandler, type ClientTransaction, type LocalAddress, type OutRequest, type Peer, type ServerTransaction,
} from '../sip/index.js';
import type { Timer } from '../sip/index.js';
import { monotonicMs, wallClockMs } from '../util/time.js';
import { EndDirection, type Attempt, type CallPolicy, type CallRecord, type EndReason, type RouteCandidate } from './types.js';
import type { B2bua } from './b2bua.js';
import { MIN_SE, allows, requestHeaders, responseHeaders, tooSmall, uacTerms, uasTerms, type SessionTerms } from './session-timer.js';

/** Headers relayed between legs for in-dialog requests and their responses; the rest stays on its leg. */
const RELAYED = ['content-disposition', 'event', 'subscription-state', 'info-package', 'recv-info', 'reason', 'accept', 'allow-events', 'refer-to', 'referred-by'];

export const enum CallState {
  Routing = 1, // INVITE out to a carrier, no answer yet
  Answered = 2,
  Ended = 3,
}

/** One side of the call as a dialog of the switch's own (a B2BUA terminates both). */
export class Leg {
  readonly side: 'a' | 'b';
  callId = '';
  localTag = '';
  remoteTag = '';
  /** Header values for our requests on this leg (From = us, To = them). */
  localParty = '';
  remoteParty = '';
  remoteTarget = '';
  routeSet: string[] = [];
  localCseq = 0;
  /** Where in-dialog requests physically go: the caller's source address, or the carrier's address. */
  dest!: Peer;
  local!: LocalAddress;
  /** Cached end-to-end ACK of the last 2xx we received on this leg (re-sent on a retransmitted 2xx). */
  ackBytes: OutRequest | null = null;
  ackCseq = -1;
  /** Session-timer terms on this leg (RFC 4028), from the answer on; null before. */
  session: SessionTerms | null = null;
  /** The peer's Allow lists UPDATE: refreshes go as UPDATE (no offer/answer), else as re-INVITE. */
  peerAllowsUpdate = false;
  /** The last SDP the switch sent on this leg: a refresh re-INVITE offers it again, unchanged. */
  lastSdp: { contentType: string | undefined; body: Buffer } | null = null;
  /** The refresh (or expiry) timer of this leg's session. */
  sessionTimer: Timer | null = null;
  /** Monotonic ms when this leg's session expires unless refreshed (0: no session timer). */
  expiresMono = 0;
  /** The call the leg belongs to (its session timer's owner). */
  call: Call | null = null;

  constructor(side: 'a' | 'b') {
    this.side = side;
  }

  /** Builds an in-dialog request on this leg. */
  request(b2b: B2bua, method: string, headers: Array<[string, string]>, contentType: string | undefined, body: Buffer | undefined, cseq?: number): OutRequest {
    const c = cseq ?? ++this.localCseq;
    return {
      method,
      uri: this.remoteTarget,
      via: b2b.viaFor(this.local, this.dest.transport, newBranch()),
      from: `${this.localParty};tag=${this.localTag}`,
      to: this.remoteTag ? `${this.remoteParty};tag=${this.remoteTag}` : this.remoteParty,
      callId: this.callId,
      cseq: c,
      routes: this.routeSet,
      maxForwards: 70,
      contact: method === 'INVITE' || method === 'UPDATE' || method === 'SUBSCRIBE' || method === 'NOTIFY' || method === 'REFER' ? b2b.contactFor(this.local, this.dest.transport) : undefined,
      headers,
      contentType,
      body,
    };
  }
}

interface PendingAck {
  /** The leg whose 2xx we already ACKed or must ACK once the other side's ACK brings the body. */
  readonly leg: Leg;
  readonly cseq: number;
  readonly waitBody: boolean;
}

/**
 * A B2BUA call: the caller's leg (A, where the switch is the UAS) and the carrier's leg (B, where
 * it is the UAC), tried carrier by carrier. Neither side sees the other's addresses, Call-ID or tags.
 */
export class Call implements ClientHandler {
  readonly rec: CallRecord;
  readonly b2b: B2bua;
  /** The policy in force when the call started: a live configuration change does not touch it. */
  readonly policy: CallPolicy;
  readonly a = new Leg('a');
  b: Leg | null = null;
  state = CallState.Routing;
  inviteTx: ServerTransaction;
  #candidates: RouteCandidate[] = [];
  #next = 0;
  #btx: ClientTransaction | null = null;
  #attempt: Attempt | null = null;
  #phaseTimer: Timer | null = null;
  #durationTimer: Timer | null = null;
  #pendingAck: PendingAck | null = null;
  /** In-dialog server transactions waiting for the other leg's answer, by client transaction. */
  #relays = new Map<ClientTransaction, ServerTransaction>();
  /** Session refreshes (or liveness re-INVITEs) the switch sent, by client transaction (made at the first). */
  #refreshes: Map<ClientTransaction, Leg> | null = null;
  /** The carrier INVITE of the current attempt (resent once with a larger interval after a 422). */
  #bInvite: OutRequest | null = null;
  #retried422 = false;
  /** Legs of abandoned attempts (timed out or cancelled) that may still answer: ACK + BYE them. */
  abandoned: Leg[] = [];
  /** Every carrier leg this call opened (for dialog clean-up at the end). */
  readonly bLegs: Leg[] = [];

  constructor(b2b: B2bua, rec: CallRecord, tx: ServerTransaction) {
    this.b2b = b2b;
    this.rec = rec;
    this.policy = b2b.policy;
    this.inviteTx = tx;
    const req = tx.req;
    const a = this.a;
    a.call = this;
    a.callId = req.callId;
    a.remoteTag = req.from.tag;
    a.localTag = newTag();
    tx.toTag = a.localTag;
    a.localParty = stripTag(req.to.raw);
    a.remoteParty = stripTag(req.from.raw);
    a.remoteTarget = req.contact?.uri ?? req.from.uri;
    a.routeSet = req.recordRoutes.slice();
    a.dest = tx.src.transport === 'tcp'
      ? { transport: 'tcp', address: tx.src.address, port: tx.src.port, reconnectPort: uriHostPort(a.remoteTarget)?.port || req.topVia.port || 5060 }
      : { transport: tx.src.transport, address: tx.src.address, port: tx.src.port };
    a.local = tx.src.local;
  }

  /** Starts routing: called once the call passed ingress and authorization. */
  route(candidates: RouteCandidate[]): void {
    this.#candidates = candidates;
    this.#tryNext(0, false);
  }

  #tryNext(lastStatus: number, timedOut: boolean): void {
    const limit = this.rec.params.numOrNull('SS_GATEWAY_SWITCH_LIMIT');
    while (this.#next < this.#candidates.length && (limit === null || this.rec.attempts.length < limit)) {
      const c = this.#candidates[this.#next++]!;
      try {
        if (this.#startAttempt(c)) return;
      } catch (err) {
        // A policy bug on one carrier must not leave the caller hanging: fail the call cleanly.
        this.b2b.log.error({ err, flowNo: this.rec.flowNo, gateway: c.gateway.name }, 'attempt setup failed');
        this.fail('server-error', 0, String((err as Error).message ?? err));
        return;
      }
    }
    if (this.rec.attempts.length === 0) this.fail('no-route', 0, 'No available router');
    else this.fail(timedOut ? (lastStatus === 503 ? 'connection-timeout' : 'response-timeout') : 'callee-failure', lastStatus, '');
  }

  #startAttempt(c: RouteCandidate): boolean {
    const gw = c.gateway;
    if (this.policy.attemptStarting && !this.policy.attemptStarting(this.rec, c)) return false;
    const nums = this.policy.rewriteEgress(this.rec, c);
    const local = this.b2b.transport.localFor(gw.localIp || undefined);
    const dest: Peer = { transport: gw.transport, address: gw.address, port: gw.port };
    const b = new Leg('b');
    b.call = this;
    b.callId = newCallId(local.ip);
    b.localTag = newTag();
    b.local = local;
    b.dest = dest;
    const hostPort = hostport(gw.address, gw.port);
    const tp = gw.transport === 'tcp' ? ';transport=tcp' : '';
    b.remoteTarget = c.target ?? `sip:${nums.callee}@${hostPort}${tp}`;
    b.remoteParty = `<sip:${nums.callee}@${hostPort}>`;
    b.localParty = `<sip:${nums.caller}@${hostport(local.ip, local.port)}>`;
    b.localCseq = 1;
    const req = this.inviteTx.req;
    const mf = req.maxForwards < 0 ? 70 : Math.min(70, req.maxForwards - 1);
    const ct = req.body.length > 0 ? req.header('content-type') : undefined;
    const invite: OutRequest = {
      method: 'INVITE',
      uri: b.remoteTarget,
      via: this.b2b.viaFor(local, gw.transport, newBranch()),
      from: `${b.localParty};tag=${b.localTag}`,
      to: b.remoteParty,
      callId: b.callId,
      cseq: 1,
      routes: [],
      maxForwards: mf,
      contact: this.b2b.contactFor(local, gw.transport),
      // Session timer offered to the carrier (RFC 4028 §7.1) unless it is off for it; the carrier picks the refresher.
      headers: gw.sessionTimer === false
        ? [['Allow', ALLOW]]
        : [['Allow', ALLOW], ['Supported', 'timer'], ['Session-Expires', String(this.rec.params.num('SS_SIP_SESSION_TTL'))], ['Min-SE', String(MIN_SE)]],
      contentType: ct,
      body: req.body.length > 0 ? req.body : undefined,
    };
    // The INVITE stays with the call anyway (inviteTx): its body is kept by reference (message
    // buffers are never written again once parsed).
    if (req.body.length > 0) b.lastSdp = { contentType: ct, body: req.body };
    this.#bInvite = invite;
    this.#retried422 = false;
    const attempt: Attempt = { gateway: gw, callee: nums.callee, caller: nums.caller, callId: b.callId, startMono: monotonicMs(), firstProvisionalMono: -1, status: 0, provisional: 0, sdpSeen: false };
    this.rec.attempts.push(attempt);
    this.rec.callee.sent = nums.callee;
    this.rec.caller.sent = nums.caller;
    this.#attempt = attempt;
    this.b = b;
    this.bLegs.push(b);
    this.b2b.registerLeg(this, b);
    this.#btx = this.b2b.tx.sendRequest(invite, dest, local, this);
    this.#btx.owner = this;
    this.#armPhase(timeoutFor(gw, 'invite', this.rec));
    return true;
  }

  #armPhase(seconds: number): void {
    this.b2b.wheel.cancel(this.#phaseTimer);
    this.#phaseTimer = seconds > 0 ? this.b2b.wheel.schedule(seconds * 1000, onPhaseTimeout, this) : null;
  }

  /** A phase timer ran out (SS_SIP_TIMEOUT_INVITE/TRYING/RINGING/SESSION_PROGRESS[_SDP]). */
  phaseTimeout(): void {
    this.#phaseTimer = null;
    if (this.state !== CallState.Routing || !this.#btx || !this.#attempt) return;
    const noResponse = this.#btx.lastStatus === 0;
    this.#abandonAttempt();
    this.#attempt.status = 408;
    this.#afterFailure(noResponse ? 503 : 408, true);
  }

  #abandonAttempt(): void {
    const tx = this.#btx;
    if (!tx) return;
    if (!tx.cancel()) tx.terminate();
    if (this.b) this.abandoned.push(this.b);
    this.#btx = null;
  }

  #afterFailure(status: number, timedOut: boolean): void {
    const attempt = this.#attempt!;
    this.rec.calleeSipCode = status;
    const go = this.policy.tryNext(this.rec, { attempt, status, timedOut, attemptsSoFar: this.rec.attempts.length });
    if (go && !this.b2b.draining) this.#tryNext(status, timedOut);
    else this.fail(timedOut ? (status === 503 ? 'connection-timeout' : 'response-timeout') : 'callee-failure', status, '');
  }

  // ---- responses on the B leg (ClientHandler) ----

  onResponse(tx: ClientTransaction, resp: SipMessage): void {
    const refreshed = this.#refreshes?.get(tx);
    if (refreshed) {
      this.#onRefreshResponse(tx, refreshed, resp);
      return;
    }
    if (tx !== this.#btx) {
      if (tx.req.method === 'INVITE' && !this.#relays.has(tx)) {
        // An abandoned attempt (cancelled, timed out, or the caller left) answered after all.
        if (resp.status >= 200 && resp.status < 300) {
          const leg = this.abandoned.find((l) => l.callId === tx.req.callId) ?? (this.b?.callId === tx.req.callId ? this.b : null);
          if (leg) {
            leg.remoteTag = resp.to.tag;
            leg.remoteTarget = resp.contact?.uri ?? leg.remoteTarget;
            leg.routeSet = resp.recordRoutes.slice().reverse();
            this.b2b.ackAndBye(leg, resp);
          }
        }
        return;
      }
      this.#onInDialogResponse(tx, resp);
      return;
    }
    const status = resp.status;
    const attempt = this.#attempt!;
    const gw = attempt.gateway;
    if (status < 200) {
      if (this.state !== CallState.Routing) return;
      if (status === 100) {
        this.#armPhase(timeoutFor(gw, 'trying', this.rec));
        return;
      }
      if (attempt.firstProvisionalMono < 0) attempt.firstProvisionalMono = monotonicMs();
      const hasSdp = resp.body.length > 0;
      attempt.provisional = Math.max(attempt.provisional, status);
      if (hasSdp) attempt.sdpSeen = true;
      if (resp.to.tag && this.b) this.b.remoteTag = resp.to.tag;
      this.#armPhase(status === 180 || status === 181 || status === 182 ? timeoutFor(gw, 'ringing', this.rec) : timeoutFor(gw, hasSdp ? 'sessionProgressSdp' : 'sessionProgress', this.rec));
      this.inviteTx.respond(status, {
        reason: resp.reason || undefined,
        contact: this.b2b.contactFor(this.a.local, this.a.dest.transport),
        contentType: hasSdp ? resp.header('content-type') : undefined,
        body: hasSdp ? resp.body : undefined,
      });
      return;
    }
    this.b2b.wheel.cancel(this.#phaseTimer);
    this.#phaseTimer = null;
    if (status === 422 && this.state === CallState.Routing && this.#retryInterval(resp)) return;
    attempt.status = status;
    if (status < 300) {
      this.#onAnswer(resp);
      return;
    }
    this.#btx = null;
    if (this.state !== CallState.Routing) return; // the caller cancelled meanwhile: 487 already sent
    this.#afterFailure(status, false);
  }

  onTimeout(tx: ClientTransaction, transportError: boolean): void {
    if (this.#refreshes?.delete(tx)) {
      this.b2b.counters.refreshes.gone++;
      // RFC 4028 §10: a refresh that times out ends the session.
      this.hangup('session-timeout', `session refresh (${tx.req.method}) got no answer`);
      return;
    }
    if (tx !== this.#btx) {
      this.#onInDialogTimeout(tx);
      return;
    }
    this.#btx = null;
    this.b2b.wheel.cancel(this.#phaseTimer);
    this.#phaseTimer = null;
    if (this.state !== CallState.Routing || !this.#attempt) return;
    this.#attempt.status = 408;
    void transportError;
    this.#afterFailure(503, true);
  }

  #onAnswer(resp: SipMessage): void {
    const b = this.b!;
    this.#btx = null;
    b.remoteTag = resp.to.tag;
    b.remoteTarget = resp.contact?.uri ?? b.remoteTarget;
    b.routeSet = resp.recordRoutes.slice().reverse();
    if (this.state !== CallState.Routing) {
      // Answered after the caller went away: take the call and hang it up at once.
      this.b2b.ackAndBye(b, resp);
      return;
    }
    this.state = CallState.Answered;
    this.#bInvite = null;
    this.rec.answerWall = wallClockMs();
    this.rec.answerMono = monotonicMs();
    this.rec.calleeSipCode = resp.status;
    this.rec.callerSipCode = resp.status;
    this.policy.callAnswered?.(this.rec);
    // The answering carrier's own cap (maxCallSeconds) joins the caps known since authorization.
    capDuration(this.rec, (this.#attempt?.gateway.maxCallSeconds ?? 0) * 1000, GATEWAY_CAP_TEXT);
    // The duration clock runs from the answer, as billing does. Cut a little early: a timer fires at
    // or after its time, and a few ms late would cross into the next billing period.
    if (this.rec.maxDurationMs > 0) this.#durationTimer = this.b2b.wheel.schedule(Math.max(0, this.rec.maxDurationMs - CUT_MARGIN_MS), onMaxDuration, this);
    // Delayed offer: the caller's ACK carries the answer to the carrier's offer, so the carrier's ACK waits for it.
    const waitBody = this.inviteTx.req.body.length === 0 && resp.body.length > 0;
    if (!waitBody) this.b2b.sendAck(b, resp.cseq, undefined, undefined);
    this.#pendingAck = { leg: b, cseq: resp.cseq, waitBody };
    this.a.localCseq = 0;
    const hasSdp = resp.body.length > 0;
    // Session timers, each leg on its own terms (RFC 4028 §7.2 for the carrier's, §9 for the caller's).
    const a = this.a;
    const req = this.inviteTx.req;
    // A gateway with session timers off: no terms on that leg, so no refreshes, expiries or checks.
    b.session = this.#attempt?.gateway.sessionTimer === false ? null : uacTerms(resp);
    b.peerAllowsUpdate = allows(resp, 'UPDATE');
    a.session = this.rec.ingress.sessionTimer === false ? null : uasTerms(req, this.rec.params.num('SS_SIP_SESSION_TTL'), null);
    a.peerAllowsUpdate = allows(req, 'UPDATE');
    if (hasSdp) a.lastSdp = { contentType: resp.header('content-type'), body: Buffer.from(resp.body) };
    const headers: Array<[string, string]> = [['Allow', ALLOW]];
    responseHeaders(a.session, headers);
    this.inviteTx.respond(resp.status, {
      reason: resp.reason || undefined,
      contact: this.b2b.contactFor(a.local, a.dest.transport),
      headers,
      contentType: hasSdp ? resp.header('content-type') : undefined,
      body: hasSdp ? resp.body : undefined,
    });
    this.#armSession(a);
    this.#armSession(b);
  }

  /** A carrier's 422 (our Session-Expires under its Min-SE): the INVITE again, once, with its minimum (RFC 4028 §7.4). */
  #retryInterval(resp: SipMessage): boolean {
    const inv = this.#bInvite;
    const b = this.b;
    if (this.#retried422 || !inv || !b || resp.minSE < MIN_SE) return false;
    this.#retried422 = true;
    const se = Math.max(resp.minSE, this.rec.params.num('SS_SIP_SESSION_TTL'));
    const headers = (inv.headers ?? []).filter(([n]) => n !== 'Session-Expires' && n !== 'Min-SE');
    headers.push(['Session-Expires', String(se)], ['Min-SE', String(resp.minSE)]);
    b.localCseq = 2;
    const again: OutRequest = { ...inv, via: this.b2b.viaFor(b.local, b.dest.transport, newBranch()), cseq: 2, headers };
    this.#bInvite = again;
    this.#btx = this.b2b.tx.sendRequest(again, b.dest, b.local, this);
    this.#btx.owner = this;
    this.#armPhase(timeoutFor(this.#attempt!.gateway, 'invite', this.rec));
    return true;
  }

  // ---- session timers (RFC 4028) ----

  /** (Re)arms a leg's session timer: the next refresh when the switch refreshes, else the expiry. */
  #armSession(leg: Leg, delayMs?: number): void {
    this.b2b.wheel.cancel(leg.sessionTimer);
    leg.sessionTimer = null;
    const t = leg.session;
    if (!t || this.state !== CallState.Answered) return;
    const p = this.rec.params;
    if (delayMs === undefined) {
      if (t.interval === 0) {
        leg.expiresMono = 0;
        delayMs = p.num('SS_SIP_NO_TIMER_REINVITE_INTERVAL') * 1000;
      } else {
        leg.expiresMono = monotonicMs() + t.interval * 1000;
        delayMs = t.weRefresh
          ? (t.interval * 1000) / p.num('SS_SIP_SESSION_UPDATE_SEGMENT')
          : Math.max(1000, (t.interval - p.num('SS_SIP_SESSION_TIMEOUT_EARLY_HANGUP')) * 1000);
      }
    }
    leg.sessionTimer = this.b2b.wheel.schedule(delayMs, onSessionTimer, leg);
  }

  /** A leg's session timer fired: refresh it, or end the call when the peer did not refresh in time. */
  sessionTimerFired(leg: Leg): void {
    leg.sessionTimer = null;
    const t = leg.session;
    if (!t || this.state !== CallState.Answered) return;
    const who = leg === this.a ? 'caller' : 'carrier';
    if (!t.weRefresh || (leg.expiresMono > 0 && monotonicMs() >= leg.expiresMono)) {
      this.hangup('session-timeout', `no session refresh on the ${who}'s leg within ${t.interval} s`);
      return;
    }
    // An offer/answer already running on this leg: try again shortly (RFC 3261 §14.1).
    if (this.#busy(leg)) {
      this.#armSession(leg, 2000);
      return;
    }
    const useUpdate = t.interval > 0 && leg.peerAllowsUpdate;
    if (!useUpdate && !leg.lastSdp) {
      // Nothing to offer again (the peer never got SDP from us): no re-INVITE is possible.
      this.#armSession(leg);
      return;
    }
    const headers: Array<[string, string]> = [];
    requestHeaders(t, headers);
    const out = useUpdate
      ? leg.request(this.b2b, 'UPDATE', headers, undefined, undefined)
      : leg.request(this.b2b, 'INVITE', headers, leg.lastSdp!.contentType, leg.lastSdp!.body);
    const ctx = this.b2b.tx.sendRequest(out, leg.dest, leg.local, this);
    ctx.owner = this;
    (this.#refreshes ??= new Map()).set(ctx, leg);
  }

  #onRefreshResponse(tx: ClientTransaction, leg: Leg, resp: SipMessage): void {
    const status = resp.status;
    if (status < 200) return;
    this.#refreshes?.delete(tx);
    const isInvite = tx.req.method === 'INVITE';
    if (status < 300 && isInvite) this.b2b.sendAck(leg, resp.cseq, undefined, undefined);
    const t = leg.session;
    if (this.state !== CallState.Answered || !t) return;
    if (status < 300) {
      this.b2b.counters.refreshes.ok++;
      if (resp.contact) leg.remoteTarget = resp.contact.uri;
      // A 2xx without Session-Expires ends session timing on this leg (RFC 4028 §7.2): liveness re-INVITEs then.
      if (t.interval > 0) leg.session = uacTerms(resp);
      this.#armSession(leg);
      return;
    }
    if (status === 408 || status === 481) {
      this.b2b.counters.refreshes.gone++;
      this.hangup('session-timeout', `session refresh (${tx.req.method}) got ${status}`);
      return;
    }
    this.b2b.counters.refreshes.refused++;
    if (status === 422 && resp.minSE > t.interval) {
      leg.session = { ...t, interval: resp.minSE };
      this.sessionTimerFired(leg);
      return;
    }
    if ((status === 405 || status === 501) && !isInvite) {
      leg.peerAllowsUpdate = false;
      this.sessionTimerFired(leg);
      return;
    }
    // Any other answer: the peer is there. Without a session timer that is all a liveness check
    // asks; with one, try again shortly until the session would expire.
    if (t.interval === 0) this.#armSession(leg);
    else this.#armSession(leg, status === 491 ? 2100 + Math.floor(Math.random() * 1900) : 5000);
  }

  /** An offer/answer or refresh in progress on the leg (ours, or one we relay to or from it). */
  #busy(leg: Leg): boolean {
    if (this.#refreshes) for (const c of this.#refreshes.keys()) if (c.req.callId === leg.callId) return true;
    for (const [c, s] of this.#relays) if (c.req.callId === leg.callId || s.req.callId === leg.callId) return true;
    return false;
  }

  #refreshInviteOn(leg: Leg | null): boolean {
    if (!leg || !this.#refreshes) return false;
    for (const c of this.#refreshes.keys()) if (c.req.method === 'INVITE' && c.req.callId === leg.callId) return true;
    return false;
  }

  // ---- requests and ACKs from either leg ----

  /** The end-to-end ACK for a 2xx we sent on `leg`. */
  onAck(leg: Leg, msg: SipMessage): void {
    const p = this.#pendingAck;
    if (!p || leg === p.leg) return;
    this.#pendingAck = null;
    if (p.waitBody) this.b2b.sendAck(p.leg, p.cseq, msg.body.length > 0 ? msg.header('content-type') : undefined, msg.body.length > 0 ? msg.body : undefined);
    if (p.waitBody && msg.body.length > 0) p.leg.lastSdp = { contentType: msg.header('content-type'), body: Buffer.from(msg.body) };
  }

  /** A request inside one of the call's dialogs. */
  onInDialogRequest(leg: Leg, tx: ServerTransaction): void {
    tx.toTag = leg.localTag;
    const req = tx.req;
    const other = leg === this.a ? this.b : this.a;
    if (req.method === 'BYE') {
      if (this.state === CallState.Routing && leg === this.a) {
        tx.respond(200);
        this.#callerGone('caller-cancel');
        return;
      }
      if (this.state === CallState.Ended) {
        tx.respond(200);
        return;
      }
      if (other) this.b2b.sendBye(other, this);
      const durable = this.end('normal-clearing', leg === this.a ? EndDirection.Caller : EndDirection.Callee, '');
      if (!durable) {
        tx.respond(200);
        return;
      }
      // Answer the BYE once the CDR is on disk (a few ms of group commit), or after a bound if the
      // disk stalls: the peer's retransmissions are absorbed meanwhile.
      const t = this.b2b.wheel.schedule(BYE_DURABLE_WAIT_MS, respond200, tx);
      durable.then(
        () => {
          this.b2b.wheel.cancel(t);
          tx.respond(200);
        },
        () => {
          this.b2b.wheel.cancel(t);
          tx.respond(200);
        },
      );
      return;
    }
    if (this.state === CallState.Ended || !other || !other.remoteTag) {
      tx.respond(481);
      return;
    }
    const refresh = req.method === 'INVITE' || req.method === 'UPDATE';
    if (req.method === 'INVITE') {
      // RFC 3261 §14.2: an INVITE of this peer's still unanswered: 500 with Retry-After.
      if (this.#pendingFrom(leg)) {
        tx.respond(500, { headers: [['Retry-After', String(1 + Math.floor(Math.random() * 5))]] });
        return;
      }
      // Glare: an INVITE of ours in progress on this leg, or one we would cross on the other leg: 491.
      if (this.#relaysInviteOn(leg) || this.#refreshInviteOn(leg) || this.#refreshInviteOn(other)) {
        tx.respond(491);
        return;
      }
    }
    if (refresh && leg.session && tooSmall(req)) {
      tx.respond(422, { headers: [['Min-SE', String(MIN_SE)]] });
      return;
    }
    if (req.method === 'UPDATE' && req.body.length === 0 && leg.session && this.state === CallState.Answered) {
      // A refresh of this leg's session alone (no offer): answered here, not relayed. The other leg
      // keeps its own timer, and a carrier without UPDATE cannot fail a caller's refresh.
      leg.session = uasTerms(req, this.rec.params.num('SS_SIP_SESSION_TTL'), leg.session);
      if (req.contact) leg.remoteTarget = req.contact.uri; // a target refresh (RFC 3311 §5.2)
      const rh: Array<[string, string]> = [];
      responseHeaders(leg.session, rh);
      tx.respond(200, { headers: rh, contact: this.b2b.contactFor(leg.local, leg.dest.transport) });
      this.#armSession(leg);
      return;
    }
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < req.headerCount; i++) {
      const n = req.headerName(i);
      if (RELAYED.includes(n.toLowerCase())) headers.push([n, req.headerValue(i)]);
    }
    // Relayed as a refresh of the other leg's session too, on that leg's own terms.
    if (refresh) requestHeaders(other.session, headers);
    const hasBody = req.body.length > 0;
    if (hasBody) other.lastSdp = { contentType: req.header('content-type'), body: Buffer.from(req.body) };
    const out = other.request(this.b2b, req.method, headers, hasBody ? req.header('content-type') : undefined, hasBody ? req.body : undefined);
    const ctx = this.b2b.tx.sendRequest(out, other.dest, other.local, this);
    ctx.owner = this;
    this.#relays.set(ctx, tx);
  }

  #relaysInviteOn(leg: Leg): boolean {
    for (const c of this.#relays.keys()) if (c.req.method === 'INVITE' && c.req.callId === leg.callId) return true;
    return false;
  }

  /** An INVITE from this leg's peer that the switch is still relaying (not answered yet). */
  #pendingFrom(leg: Leg): boolean {
    for (const stx of this.#relays.values()) if (stx.req.method === 'INVITE' && stx.req.callId === leg.callId) return true;
    return false;
  }

  #onInDialogResponse(ctx: ClientTransaction, resp: SipMessage): void {
    const stx = this.#relays.get(ctx);
    if (!stx) return;
    const status = resp.status;
    if (status === 100) return;
    if (status >= 200) this.#relays.delete(ctx);
    const leg = stx.req.method === 'INVITE' && status >= 200 && status < 300 ? this.#legOf(ctx) : null;
    if (leg) {
      const waitBody = stx.req.body.length === 0 && resp.body.length > 0;
      if (!waitBody) this.b2b.sendAck(leg, resp.cseq, undefined, undefined);
      this.#pendingAck = { leg, cseq: resp.cseq, waitBody };
    }
    const headers: Array<[string, string]> = [];
    for (let i = 0; i < resp.headerCount; i++) {
      const n = resp.headerName(i);
      if (RELAYED.includes(n.toLowerCase())) headers.push([n, resp.headerValue(i)]);
    }
    const relayLeg = this.#legOf(ctx);
    const ownLeg = relayLeg === this.a ? this.b : this.a;
    const hasBody = resp.body.length > 0;
    if (hasBody && ownLeg) ownLeg.lastSdp = { contentType: resp.header('content-type'), body: Buffer.from(resp.body) };
    if (status >= 200 && status < 300 && (stx.req.method === 'INVITE' || stx.req.method === 'UPDATE') && ownLeg && this.state === CallState.Answered) {
      // A successful refresh of both legs' sessions: the requester's on the terms we answer with,
      // the other's on the terms its 2xx gave.
      // Target refresh (RFC 3261 §12.2): each side's Contact in the request and its 2xx.
      if (stx.req.contact) ownLeg.remoteTarget = stx.req.contact.uri;
      if (resp.contact) relayLeg.remoteTarget = resp.contact.uri;
      if (relayLeg.session && relayLeg.session.interval > 0) relayLeg.session = uacTerms(resp);
      this.#armSession(relayLeg);
      if (ownLeg.session) {
        ownLeg.session = uasTerms(stx.req, this.rec.params.num('SS_SIP_SESSION_TTL'), ownLeg.session);
        responseHeaders(ownLeg.session, headers);
        this.#armSession(ownLeg);
      }
    }
    stx.respond(status, {
      reason: resp.reason || undefined,
      headers,
      contact: stx.req.method === 'INVITE' || stx.req.method === 'UPDATE' ? this.b2b.contactFor(ownLeg!.local, ownLeg!.dest.transport) : undefined,
      contentType: hasBody ? resp.header('content-type') : undefined,
      body: hasBody ? resp.body : undefined,
    });
    if ((status === 481 || status === 408) && this.state === CallState.Answered) {
      // The far dialog is gone: end the call on both sides.
      const other = ownLeg!;
      this.b2b.sendBye(other, this);
      this.end('normal-clearing', this.#legOf(ctx) === this.a ? EndDirection.Caller : EndDirection.Callee, `in-dialog ${stx.req.method} got ${status}`);
    }
  }

  #onInDialogTimeout(ctx: ClientTransaction): void {
    const stx = this.#relays.get(ctx);
    if (!stx) return;
    this.#relays.delete(ctx);
    stx.respond(408);
  }

  #legOf(ctx: ClientTransaction): Leg {
    return ctx.req.callId === this.a.callId ? this.a : this.b!;
  }

  /** CANCEL from the caller for our INVITE server transaction. */
  onCancel(): void {
    if (this.state !== CallState.Routing) return;
    this.#callerGone('caller-cancel');
  }

  #callerGone(reason: EndReason): void {
    this.#abandonAttempt();
    this.b2b.wheel.cancel(this.#phaseTimer);
    this.#phaseTimer = null;
    this.inviteTx.respond(487);
    this.rec.callerSipCode = 487;
    this.end(reason, EndDirection.Caller, '');
  }

  /** The caller never ACKed our 2xx: hang up both legs (RFC 3261 §13.3.1.4). */
  onAckTimeout(): void {
    if (this.state === CallState.Ended) return;
    this.b2b.sendBye(this.a, this);
    if (this.b) this.b2b.sendBye(this.b, this);
    this.end('ack-timeout', EndDirection.Server, 'no ACK from the caller');
  }

  /** Max duration reached (SS_MAX_CALL_DURATION, gateway max, or the balance). */
  onMaxDuration(): void {
    this.#durationTimer = null;
    const r = this.rec;
    // At a configured cap the call ends; short of it, a prepaid grant may be extended up to the cap.
    if (this.state === CallState.Answered && !(r.durationCapMs > 0 && r.maxDurationMs >= r.durationCapMs)) {
      let next = this.policy.extendDuration?.(r) ?? 0;
      if (r.durationCapMs > 0 && next > r.durationCapMs) next = r.durationCapMs;
      if (next > r.maxDurationMs) {
        if (next === r.durationCapMs) r.maxDurationText = r.durationCapText;
        r.maxDurationMs = next;
        const left = next - (monotonicMs() - r.answerMono) - CUT_MARGIN_MS;
        this.#durationTimer = this.b2b.wheel.schedule(Math.max(0, left), onMaxDuration, this);
        return;
      }
    }
    this.hangup('max-duration', r.maxDurationText || 'maximum call duration reached');
  }

  /** Ends the call from the server side (admin hang-up, shutdown, limits). */
  hangup(reason: EndReason, text: string): void {
    if (this.state === CallState.Ended) return;
    if (this.state === CallState.Routing) {
      this.#abandonAttempt();
      this.fail(reason, 0, text);
      return;
    }
    this.b2b.sendBye(this.a, this);
    if (this.b) this.b2b.sendBye(this.b, this);
    this.end(reason, EndDirection.Server, text);
  }

  /** Fails the call before answer: a final response to the caller, mapped by the policy. */
  fail(reason: EndReason, carrierStatus: number, text: string): void {
    if (this.state !== CallState.Routing) return;
    const m = this.policy.failureStatus(this.rec, reason, carrierStatus);
    this.inviteTx.respond(m.status, { reason: m.reason });
    this.rec.callerSipCode = m.status;
    this.end(reason, carrierStatus > 0 && reason === 'callee-failure' ? EndDirection.Callee : EndDirection.Server, text);
  }

  /** Ends the call once; returns a promise when its CDR becomes durable later (see CallPolicy.callEnded). */
  end(reason: EndReason, dir: EndDirection, text: string): Promise<void> | undefined {
    if (this.state === CallState.Ended) return undefined;
    this.state = CallState.Ended;
    this.b2b.wheel.cancel(this.#phaseTimer);
    this.b2b.wheel.cancel(this.#durationTimer);
    this.#phaseTimer = null;
    this.#durationTimer = null;
    this.b2b.wheel.cancel(this.a.sessionTimer);
    this.a.sessionTimer = null;
    if (this.b) {
      this.b2b.wheel.cancel(this.b.sessionTimer);
      this.b.sessionTimer = null;
    }
    const r = this.rec;
    r.endReason = reason;
    r.endReasonText = text;
    r.endDirection = dir;
    r.endWall = wallClockMs();
    r.endMono = monotonicMs();
    for (const [, stx] of this.#relays) stx.respond(481);
    this.#relays.clear();
    return this.b2b.callEnded(this);
  }

  /** The carrier of the current (or answering) attempt. */
  get answeredLeg(): RoutingGateway | null {
    return this.#attempt?.gateway ?? null;
  }
}

/** Longest wait for a CDR to become durable before a BYE is answered anyway. */
const BYE_DURABLE_WAIT_MS = 2000;

function respond200(tx: ServerTransaction): void {
  tx.respond(200);
}

/** How much earlier than its limit a call is cut (timer granularity plus event-loop lag). */
const CUT_MARGIN_MS = 60;

function onPhaseTimeout(c: Call): void {
  c.phaseTimeout();
}

function onSessionTimer(leg: Leg): void {
  leg.call?.sessionTimerFired(leg);
}
export const GATEWAY_CAP_TEXT = 'Gateway max call duration';

/**
 * Lowers the call's configured cap (one no balance extension may pass) to `capMs` when that is
 * smaller, and its maximum duration with it; `text` is the CDR's reason when the cap cuts. 0 = none.
 */
export function capDuration(rec: CallRecord, capMs: number, text: string): void {
  if (capMs <= 0) return;
  if (rec.durationCapMs === 0 || capMs < rec.durationCapMs) {
    rec.durationCapMs = capMs;
    rec.durationCapText = text;
  }
  if (rec.maxDurationMs === 0 || rec.durationCapMs < rec.maxDurationMs) {
    rec.maxDurationMs = rec.durationCapMs;
    rec.maxDurationText = rec.durationCapText;
  }
}

function onMaxDuration(c: Call): void {
  c.onMaxDuration();
}

type Phase = 'invite' | 'trying' | 'ringing' | 'sessionProgress' | 'sessionProgressSdp';
const PHASE_PARAM: Record<Phase, string> = {
  invite: 'SS_SIP_TIMEOUT_INVITE',
  trying: 'SS_SIP_TIMEOUT_TRYING',
  ringing: 'SS_SIP_TIMEOUT_RINGING',
  sessionProgress: 'SS_SIP_TIMEOUT_SESSION_PROGRESS',
  sessionProgressSdp: 'SS_SIP_TIMEOUT_SESSION_PROGRESS_SDP',
};

/** The gateway's own timeout for a phase, else the parameter (seconds). */
function timeoutFor(gw: RoutingGateway, phase: Phase, rec: CallRecord): number {
  const own = gw.timeouts[phase];
  return own > 0 ? own : rec.params.num(PHASE_PARAM[phase]);
}

function stripTag(v: string): string {
  return v.replace(/;\s*tag=[^;>,\s]*/i, '');
}

export function hostport(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

