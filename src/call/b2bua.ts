import type { SipMessage } from '../wasm/sip.js';
import {
  ALLOW, newBranch, TimerWheel, type Inbound, type LocalAddress, type OutRequest, type ServerTransaction,
  type TransactionLayer, type TransactionUser, type TransportLayer,
} from '../sip/index.js';
import type { Transport } from '../config/types.js';
import type { ParamSet } from '../config/index.js';
import { componentLogger } from '../util/log.js';
import { monotonicMs, wallClockMs } from '../util/time.js';
import { Call, CallState, Leg, capDuration, hostport, GATEWAY_CAP_TEXT } from './call.js';
import { EndDirection, type CallPolicy, type CallRecord } from './types.js';
import { MIN_SE, tooSmall } from './session-timer.js';

const log = componentLogger('b2bua');

/** Extensions the switch supports in Require: session timers (RFC 4028). 100rel is not supported. */
const SUPPORTED_EXTENSIONS = new Set<string>(['timer']);
const URI_SCHEMES = new Set(['sip', 'sips', 'tel']);
/** Methods that only make sense inside a dialog: out of one they get 481. */
const DIALOG_ONLY = new Set(['BYE', 'UPDATE', 'INFO', 'PRACK', 'NOTIFY', 'REFER']);

export interface CallCounters {
  attempts: number;
  answered: number;
  failed: number;
  forbidden: number;
  active: number;
  /** Session refreshes and liveness re-INVITEs the switch sent, by outcome (RFC 4028). */
  refreshes: { ok: number; refused: number; gone: number };
}

let flowCounter = 0;
const FLOW_PREFIX = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/**
 * The transaction user: turns INVITEs from known customers into two-legged calls, relays what
 * belongs to a call, answers OPTIONS addressed to the switch, and refuses the rest cleanly.
 */
export class B2bua implements TransactionUser {
  readonly tx: TransactionLayer;
  readonly transport: TransportLayer;
  readonly wheel: TimerWheel;
  readonly counters: CallCounters = { attempts: 0, answered: 0, failed: 0, forbidden: 0, active: 0, refreshes: { ok: 0, refused: 0, gone: 0 } };
  readonly log = log;
  policy: CallPolicy;
  /** The parameter set new calls take (a live change replaces it; calls keep theirs). */
  params: ParamSet;
  draining = false;
  /** Handlers for out-of-dialog methods the B2BUA does not answer itself (the registrar takes REGISTER). */
  readonly methods = new Map<string, (stx: ServerTransaction) => void>();
  drainRetryAfter = 30;
  #dialogs = new Map<string, { call: Call | null; leg: Leg }>();
  #calls = new Set<Call>();
  #onIdle: (() => void) | null = null;

  constructor(opts: { tx: TransactionLayer; transport: TransportLayer; wheel: TimerWheel; policy: CallPolicy; params: ParamSet }) {
    this.tx = opts.tx;
    this.transport = opts.transport;
    this.wheel = opts.wheel;
    this.policy = opts.policy;
    this.params = opts.params;
    this.tx.tu = this;
  }

  get calls(): ReadonlySet<Call> {
    return this.#calls;
  }

  viaFor(local: LocalAddress, transport: Transport, branch: string): string {
    return `SIP/2.0/${transport === 'tcp' ? 'TCP' : 'UDP'} ${hostport(local.ip, local.port)};branch=${branch};rport`;
  }

  contactFor(local: LocalAddress, transport: Transport): string {
    return `<sip:${hostport(local.ip, local.port)}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  // ---- TransactionUser ----

  onRequest(stx: ServerTransaction): void {
    const req = stx.req;
    // RFC 3261 §8.2.2: Request-URI scheme and Require, for every request the switch answers as a UAS.
    if (!URI_SCHEMES.has(req.ruri.scheme)) {
      stx.respond(416);
      return;
    }
    const unsupported = unsupportedExtensions(req);
    if (unsupported.length > 0) {
      stx.respond(420, { headers: [['Unsupported', unsupported.join(', ')]] });
      return;
    }
    const toTag = req.to.tag;
    if (toTag) {
      const d = this.#dialogs.get(dialogKey(req.callId, toTag));
      if (!d || !d.call) {
        stx.respond(d && stx.req.method === 'BYE' ? 200 : 481);
        return;
      }
      stx.owner = d.call;
      d.call.onInDialogRequest(d.leg, stx);
      return;
    }
    const method = req.method;
    if (method === 'INVITE') {
      this.#newCall(stx);
      return;
    }
    if (method === 'OPTIONS') {
      // OPTIONS addressed to the switch: we are alive, and this is what we do.
      stx.respond(200, { headers: [['Allow', ALLOW], ['Accept', 'application/sdp'], ['Supported', '']] });
      return;
    }
    if (DIALOG_ONLY.has(method)) {
      stx.respond(481);
      return;
    }
    const handler = this.methods.get(method);
    if (handler) {
      handler(stx);
      return;
    }
    // REGISTER without a registrar, MESSAGE, SUBSCRIBE, PUBLISH and extension methods.
    stx.respond(501, { headers: [['Allow', ALLOW]] });
  }

  onAck(msg: SipMessage, _src: Inbound): void {
    const d = this.#dialogs.get(dialogKey(msg.callId, msg.to.tag));
    if (d && d.call) d.call.onAck(d.leg, msg);
  }

  onCancel(inviteTx: ServerTransaction): void {
    const call = inviteTx.owner as Call | null;
    if (call) call.onCancel();
    else if (!inviteTx.finalSent) inviteTx.respond(487);
  }

  onAckTimeout(stx: ServerTransaction): void {
    const call = stx.owner as Call | null;
    if (call && call.inviteTx === stx) call.onAckTimeout();
  }

  onStray2xx(msg: SipMessage, _src: Inbound): void {
    // A retransmitted 2xx (our ACK was lost) on a carrier leg: ACK it again.
    const d = this.#dialogs.get(dialogKey(msg.callId, msg.from.tag));
    if (!d) return;
    const leg = d.leg;
    if (leg.ackBytes && leg.ackCseq === msg.cseq) this.tx.sendStateless(leg.ackBytes, leg.dest, leg.local);
    else if (!d.call || d.call.state === CallState.Ended) this.ackAndBye(leg, msg);
  }

  // ---- calls ----

  #newCall(stx: ServerTransaction): void {
    const req = stx.req;
    const src = stx.src;
    if (this.draining) {
      stx.respond(503, { headers: [['Retry-After', String(this.drainRetryAfter)]] });
      return;
    }
    const ingress = this.policy.ingressOf ? this.policy.ingressOf(stx) : this.policy.ingress(src, req);
    if (ingress === 'answered') return;
    if (!ingress) {
      this.counters.forbidden++;
      log.debug({ src: src.address }, 'INVITE from an unknown source: 403');
      stx.respond(403);
      return;
    }
    // The rest of RFC 3261 §8.2, in its order, before any routing.
    if (req.maxForwards === 0) {
      stx.respond(483);
      return;
    }
    if (this.transport.isLocal(src.address, src.port)) {
      stx.respond(482);
      return;
    }
    if (ingress.sessionTimer !== false && tooSmall(req)) {
      // RFC 4028 §8.1: a session interval under our minimum is refused, naming the minimum.
      stx.respond(422, { headers: [['Min-SE', String(MIN_SE)]] });
      return;
    }
    if (req.body.length > 0) {
      const ct = (req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct !== 'application/sdp') {
        stx.respond(415, { headers: [['Accept', 'application/sdp']] });
        return;
      }
    }
    const accept = req.header('accept');
    if (accept !== undefined && accept.trim() !== '' && !/application\/sdp|application\/\*|\*\/\*/i.test(accept)) {
      stx.respond(406, { headers: [['Accept', 'application/sdp'], ['Warning', '399 - "application/sdp is required"']] });
      return;
    }
    const callee = calleeOf(req);
    const caller = req.from.uri ? userOf(req.from.uri) : '';
    const rec: CallRecord = {
      flowNo: `${FLOW_PREFIX}-${(++flowCounter).toString(36)}`,
      ingress,
      source: src,
      callerCallId: req.callId,
      callee: { received: callee, billed: callee, sent: '' },
      caller: { received: caller, billed: caller, sent: '' },
      params: this.params,
      startWall: wallClockMs(),
      startMono: monotonicMs(),
      answerWall: 0,
      answerMono: 0,
      endWall: 0,
      endMono: 0,
      attempts: [],
      endReason: null,
      endReasonText: '',
      endDirection: EndDirection.Server,
      callerSipCode: 0,
      calleeSipCode: 0,
      maxDurationMs: 0,
      maxDurationText: '',
      durationCapMs: 0,
      durationCapText: '',
      ext: {},
    };
    const call = new Call(this, rec, stx);
    const policy = call.policy;
    stx.owner = call;
    this.#calls.add(call);
    this.counters.active++;
    this.counters.attempts++;
    this.registerLeg(call, call.a);
    try {
      policy.rewriteIngress(rec);
      const auth = policy.authorize(rec);
      if (!auth.ok) {
        stx.respond(auth.status);
        rec.callerSipCode = auth.status;
        call.end(auth.reason, EndDirection.Server, auth.text);
        return;
      }
      const maxGlobal = rec.params.numOrNull('SS_MAX_CALL_DURATION');
      // A grant shorter than every cap is the balance speaking: the CDR says so when it cuts.
      rec.maxDurationMs = auth.maxDurationMs;
      if (rec.maxDurationMs > 0) rec.maxDurationText = 'Insufficient balance';
      capDuration(rec, (maxGlobal ?? 0) * 1000, 'SS_MAX_CALL_DURATION reached');
      capDuration(rec, (rec.ingress.maxCallSeconds ?? 0) * 1000, GATEWAY_CAP_TEXT);
      call.route(policy.routeCandidates(rec));
    } catch (err) {
      log.error({ err, flowNo: rec.flowNo }, 'call setup failed');
      call.fail('server-error', 0, String((err as Error).message ?? err));
    }
  }

  registerLeg(call: Call, leg: Leg): void {
    this.#dialogs.set(dialogKey(leg.callId, leg.localTag), { call, leg });
  }

  /** Sends the end-to-end ACK of a 2xx on a leg and keeps it for retransmitted 2xx. */
  sendAck(leg: Leg, cseq: number, contentType: string | undefined, body: Buffer | undefined): void {
    const ack = leg.request(this, 'ACK', [], contentType, body, cseq);
    leg.ackBytes = ack;
    leg.ackCseq = cseq;
    this.tx.sendStateless(ack, leg.dest, leg.local);
  }

  /** Takes an unwanted 2xx (the call is gone) and hangs it up: ACK, then BYE. */
  ackAndBye(leg: Leg, resp: SipMessage): void {
    if (!this.#dialogs.has(dialogKey(leg.callId, leg.localTag))) this.#dialogs.set(dialogKey(leg.callId, leg.localTag), { call: null, leg });
    this.sendAck(leg, resp.cseq, undefined, undefined);
    this.sendBye(leg, null);
  }

  sendBye(leg: Leg, _call: Call | null): void {
    const bye = leg.request(this, 'BYE', [], undefined, undefined);
    this.tx.sendRequest(bye, leg.dest, leg.local, {
      onResponse: () => {},
      onTimeout: () => {},
    });
    // Keep the dialog known long enough to absorb a retransmitted 2xx, then forget it.
    this.wheel.schedule(this.tx.timers.total, (k: string) => this.#dialogs.delete(k), dialogKey(leg.callId, leg.localTag));
  }

  /** @internal called by Call.end. */
  callEnded(call: Call): Promise<void> | undefined {
    if (!this.#calls.delete(call)) return undefined;
    this.counters.active--;
    const rec = call.rec;
    if (rec.answerWall > 0) this.counters.answered++;
    else this.counters.failed++;
    // Dialog entries stay for a transaction lifetime so late retransmissions are absorbed.
    const keys = [dialogKey(call.a.callId, call.a.localTag)];
    for (const l of call.bLegs) keys.push(dialogKey(l.callId, l.localTag));
    this.wheel.schedule(this.tx.timers.total, (ks: string[]) => { for (const k of ks) this.#dialogs.delete(k); }, keys);
    let durable: void | Promise<void> = undefined;
    try {
      durable = call.policy.callEnded(rec);
    } catch (err) {
      log.error({ err, flowNo: rec.flowNo }, 'callEnded hook failed');
    }
    if (this.#onIdle && this.#calls.size === 0) this.#onIdle();
    return durable instanceof Promise ? durable : undefined;
  }

  /** Stops taking calls (503 + Retry-After), waits for active calls up to drainMs, then hangs up the rest. */
  async drain(drainMs: number): Promise<void> {
    this.draining = true;
    this.drainRetryAfter = Math.max(1, Math.ceil(drainMs / 1000));
    if (this.#calls.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.#onIdle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    this.#onIdle = null;
    for (const c of [...this.#calls]) c.hangup('shutdown', 'switch shutting down');
  }

  /** Finds a call by its flow number (admin hang-up). */
  findCall(flowNo: string): Call | undefined {
    for (const c of this.#calls) if (c.rec.flowNo === flowNo) return c;
    return undefined;
  }
}

function dialogKey(callId: string, localTag: string): string {
  return `${callId}\u0000${localTag}`;
}

function unsupportedExtensions(req: SipMessage): string[] {
  const out: string[] = [];
  for (const v of req.headerAll('require')) {
    for (const t of v.split(',')) {
      const x = t.trim();
      if (x && !SUPPORTED_EXTENSIONS.has(x.toLowerCase())) out.push(x);
    }
  }
  return out;
}

/** The called number: the Request-URI user part (tel: URIs carry it as the host part). */
function calleeOf(req: SipMessage): string {
  const u = req.ruri;
  if (u.scheme === 'tel') return u.host.split(';')[0]!;
  if (u.user) return u.user.split(';')[0]!;
  return req.to.uri ? userOf(req.to.uri) : '';
}

function userOf(uri: string): string {
  const c = uri.indexOf(':');
  const at = uri.indexOf('@');
  if (at < 0) return '';
  return uri.slice(c + 1, at).split(';')[0]!;
}
