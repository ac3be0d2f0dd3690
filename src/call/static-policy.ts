import type { LoadedConfig, MappingGateway, RoutingGateway } from '../config/types.js';
import type { SipMessage } from '../wasm/sip.js';
import type { Inbound } from '../sip/index.js';
import type { AttemptOutcome, Authorization, CallPolicy, CallRecord, EndReason, RouteCandidate } from './types.js';

/**
 * The signaling core's own policy: ingress by source IP, static longest-prefix routing over the
 * configured carriers (then priority, then id), failover on timeouts and carrier failures except
 * busy, and the default SIP code per end reason. The routing, dial-plan and billing engines replace
 * these seams one by one.
 */
export class StaticPolicy implements CallPolicy {
  #byIp = new Map<string, MappingGateway>();
  #gateways: readonly RoutingGateway[];
  /** Calls that ended, for whoever listens (CDR writer, tests). */
  onEnded: ((rec: CallRecord) => void) | null = null;

  constructor(cfg: LoadedConfig) {
    for (const m of cfg.network.mappingGateways) {
      if (m.locked) continue;
      for (const ip of m.remoteIps) if (!this.#byIp.has(ip)) this.#byIp.set(ip, m);
    }
    this.#gateways = cfg.network.routingGateways;
  }

  ingress(src: Inbound, _msg: SipMessage): MappingGateway | null {
    return this.#byIp.get(src.address) ?? null;
  }

  rewriteIngress(_call: CallRecord): void {}

  authorize(_call: CallRecord): Authorization {
    return { ok: true, maxDurationMs: 0 };
  }

  routeCandidates(call: CallRecord): RouteCandidate[] {
    const number = call.callee.billed;
    const found: Array<{ gw: RoutingGateway; len: number }> = [];
    for (const gw of this.#gateways) {
      if (gw.locked) continue;
      let best = -1;
      for (const p of gw.prefixes) if (p.length > best && number.startsWith(p)) best = p.length;
      if (best >= 0) found.push({ gw, len: best });
    }
    found.sort((x, y) => y.len - x.len || x.gw.prefixPriority - y.gw.prefixPriority || x.gw.priority - y.gw.priority || x.gw.id - y.gw.id);
    return found.map((f) => ({ gateway: f.gw }));
  }

  rewriteEgress(call: CallRecord, _c: RouteCandidate): { callee: string; caller: string } {
    return { callee: call.callee.billed, caller: call.caller.billed };
  }

  tryNext(call: CallRecord, o: AttemptOutcome): boolean {
    const p = call.params;
    if (o.timedOut) return true;
    if ((o.status === 486 || o.status === 600) && p.bool('SS_GATEWAY_SWITCH_STOP_AFTER_USER_BUSY')) return false;
    if (o.attempt.sdpSeen && p.bool('SS_SIP_STOP_SWITCH_AFTER_SDP')) return false;
    if (o.attempt.provisional >= 180 && !p.bool('SS_GATEWAY_SWITCH_UNTIL_CONNECT')) return false;
    // A decline or an unknown number is the answer, not a carrier fault.
    if (o.status === 603 || o.status === 404 || o.status === 484) return false;
    return o.status >= 408;
  }

  failureStatus(_call: CallRecord, reason: EndReason, carrierStatus: number): { status: number; reason?: string } {
    switch (reason) {
      case 'no-route':
        return { status: 503, reason: 'No Available Router' };
      case 'callee-failure':
        return { status: carrierStatus >= 300 ? carrierStatus : 500 };
      case 'response-timeout':
        return { status: 408 };
      case 'connection-timeout':
        return { status: 503, reason: 'Connection Timeout' };
      case 'shutdown':
        return { status: 503 };
      default:
        return { status: 500 };
    }
  }

  callEnded(call: CallRecord): void {
    this.onEnded?.(call);
  }
}
