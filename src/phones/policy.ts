/**
 * The network policy with phones: a phone's INVITE is digest-checked and becomes a call of the
 * phone's account, with the phone's dial plan applied before rating and routing (as a mapping
 * gateway's); a called number that is a phone's goes to its registered contacts, with the phone's
 * callee rules applied to the number sent. Everything else is the NetworkPolicy unchanged.
 */
import type { LoadedConfig, MappingGateway } from '../config/types.js';
import type { RoutingGatewayBase as RoutingGateway } from '../routing/index.js';
import type { ServerTransaction } from '../sip/index.js';
import { NetworkPolicy, PolicyRuntime, type AttemptOutcome, type Authorization, type CallRecord, type EndReason, type NetworkPolicyDeps, type PolicyParts, type RouteCandidate } from '../call/index.js';
import type { PhoneDirectory, PhoneEntry } from './directory.js';
import type { Binding, Registrar } from './registrar.js';

/** Where a call stands with phones, kept in CallRecord.ext. */
interface PhoneExt {
  /** Phone numbers whose concurrent-call slot this call holds. */
  held: string[];
}

/** A registered contact as a routing "gateway" of one attempt (CDR egress = `phone:<number>`). */
interface PhoneTarget extends RoutingGateway {
  readonly phoneNumber: string;
}

export class PhonePolicy extends NetworkPolicy {
  readonly directory: PhoneDirectory;
  readonly registrar: Registrar;

  constructor(cfg: LoadedConfig, deps: NetworkPolicyDeps, registrar: Registrar, runtime?: PolicyRuntime, parts?: PolicyParts) {
    super(cfg, deps, runtime, parts);
    this.registrar = registrar;
    this.directory = registrar.directory;
  }

  /** A reload's next generation keeps the registrar (and so the phones and their bindings). */
  protected override spawn(cfg: LoadedConfig, deps: NetworkPolicyDeps, runtime: PolicyRuntime, parts: PolicyParts): PhonePolicy {
    return new PhonePolicy(cfg, deps, this.registrar, runtime, parts);
  }

  /** Customers by source IP first; otherwise, when phones exist, the INVITE must carry a phone's digest. */
  ingressOf(stx: ServerTransaction): MappingGateway | null | 'answered' {
    const gw = super.ingress(stx.src, stx.req);
    if (gw || this.directory.size === 0) return gw;
    const entry = this.registrar.authenticateInvite(stx);
    return entry ? entry.gateway : 'answered';
  }

  /** The calling phone (null for a customer's call). */
  callingPhone(call: Pick<CallRecord, 'ingress'>): PhoneEntry | null {
    return this.directory.byGatewayName(call.ingress.name) ?? null;
  }

  override rewriteIngress(call: CallRecord): void {
    const phone = this.callingPhone(call);
    if (!phone) {
      super.rewriteIngress(call);
      return;
    }
    call.callee.billed = phone.callee.transform(call.callee.received).output;
    // The caller of an authenticated phone is the phone's number, whatever its From says.
    call.caller.billed = phone.caller.transform(phone.def.number).output;
  }

  override authorize(call: CallRecord): Authorization {
    const ext: PhoneExt = { held: [] };
    call.ext.phones = ext;
    const from = this.callingPhone(call);
    if (from) {
      if (from.def.locked) return { ok: false, reason: 'refused', text: 'Phone locked', status: 403 };
      if (!this.directory.acquire(from.def.number)) return { ok: false, reason: 'refused', text: 'Phone capacity full', status: 486 };
      ext.held.push(from.def.number);
    }
    const to = this.directory.byNumber(call.callee.billed);
    if (to && (to.def.locked || this.registrar.contacts(to.def.number).length === 0) && !call.params.bool('SS_REDIRECT_OFFLINE_PHONE_TO_GATEWAY')) {
      return { ok: false, reason: 'refused', text: to.def.locked ? 'Callee phone locked' : 'Callee phone not registered', status: 480 };
    }
    return super.authorize(call);
  }

  override routeCandidates(call: CallRecord): RouteCandidate[] {
    const to = this.directory.byNumber(call.callee.billed);
    const contacts = to && !to.def.locked ? this.registrar.contacts(to.def.number) : [];
    if (!to || contacts.length === 0) return super.routeCandidates(call);
    return contacts.map((b) => ({ gateway: targetOf(to, b), target: b.uri }));
  }

  override attemptStarting(call: CallRecord, c: RouteCandidate): boolean {
    const number = phoneOf(c);
    if (number === null) return super.attemptStarting(call, c);
    const ext = call.ext.phones as PhoneExt;
    // One slot per call, whichever of the phone's contacts is tried.
    if (ext.held.includes(number)) return true;
    if (!this.directory.acquire(number)) return false;
    ext.held.push(number);
    return true;
  }

  override rewriteEgress(call: CallRecord, c: RouteCandidate): { callee: string; caller: string } {
    const number = phoneOf(c);
    if (number === null) return super.rewriteEgress(call, c);
    const phone = this.directory.byNumber(number);
    return { callee: phone ? phone.callee.transform(call.callee.billed).output : call.callee.billed, caller: call.caller.billed };
  }

  override tryNext(call: CallRecord, o: AttemptOutcome): boolean {
    // A phone's other contacts are tried only when this one did not answer at all.
    if (phoneOf({ gateway: o.attempt.gateway }) !== null) return o.timedOut;
    return super.tryNext(call, o);
  }

  override failureStatus(call: CallRecord, reason: EndReason, carrierStatus: number): { status: number; reason?: string } {
    const last = call.attempts[call.attempts.length - 1];
    if (last && phoneOf({ gateway: last.gateway }) !== null) {
      if (reason === 'callee-failure' && carrierStatus >= 300) return { status: carrierStatus };
      if (reason === 'response-timeout' || reason === 'connection-timeout') return { status: 480 };
    }
    return super.failureStatus(call, reason, carrierStatus);
  }

  override callEnded(call: CallRecord): Promise<void> | undefined {
    const ext = call.ext.phones as PhoneExt | undefined;
    if (ext) for (const n of ext.held.splice(0)) this.directory.release(n);
    return super.callEnded(call);
  }
}

function targetOf(phone: PhoneEntry, b: Binding): PhoneTarget {
  return {
    phoneNumber: phone.def.number,
    name: phone.gateway.name,
    // No real routing gateway has id 0: the live quality figures of phones share that row.
    id: 0,
    address: b.source.address,
    port: b.source.port,
    transport: b.source.transport,
    localIp: b.local.ip,
    prefixes: [phone.def.number],
    prefixPriority: 0, priority: 0, weight: 1, groups: [], locked: false,
    capacity: phone.def.capacity, cps: 0,
    calleeRules: phone.def.calleeRules, callerRules: [],
    probeSeconds: 0,
    timeouts: { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0 },
  };
}

function phoneOf(c: { gateway: RoutingGateway }): string | null {
  const n = (c.gateway as Partial<PhoneTarget>).phoneNumber;
  return typeof n === 'string' ? n : null;
}
