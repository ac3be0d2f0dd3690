import type { SipMessage } from '../wasm/sip.js';

/**
 * Session timers (RFC 4028), negotiated on each leg on its own: the switch is the UAS on the
 * caller's leg and the UAC on the carrier's. A leg whose peer does not do session timers gets a
 * plain re-INVITE every SS_SIP_NO_TIMER_REINVITE_INTERVAL instead (the reference's no-timer cap):
 * either way a peer that is gone is found and the call ends with reason "Session timeout".
 */

/** RFC 4028's floor for Session-Expires: the Min-SE the switch asks for and enforces. */
export const MIN_SE = 90;

export interface SessionTerms {
  /** Session interval (s); 0: the peer does not do session timers (liveness re-INVITEs instead). */
  interval: number;
  /** The switch sends the refreshes on this leg (else it expects them from the peer). */
  weRefresh: boolean;
  /** The peer said `timer` in Supported or Require. */
  peerSupports: boolean;
}

/** Whether a message lists `timer` in Supported or Require. */
export function supportsTimer(m: SipMessage): boolean {
  return listHas(m, 'supported', 'timer') || listHas(m, 'require', 'timer');
}

/** Whether the message's Allow lists `method` (an absent Allow says nothing: false). */
export function allows(m: SipMessage, method: string): boolean {
  return listHas(m, 'allow', method);
}

function listHas(m: SipMessage, header: string, token: string): boolean {
  for (const v of m.headerAll(header)) {
    for (const t of v.split(',')) if (t.trim().toLowerCase() === token.toLowerCase()) return true;
  }
  return false;
}

/** A Session-Expires under the switch's Min-SE: the request gets 422 (RFC 4028 §8.1). */
export function tooSmall(req: SipMessage): boolean {
  return req.sessionExpires >= 0 && req.sessionExpires < MIN_SE;
}

/**
 * The terms the switch answers a request with where it is the UAS (the caller's INVITE, or a
 * refresh from either peer), RFC 4028 §9: it may lower the peer's interval to `ttl`, never under
 * the peer's Min-SE or its own; the peer refreshes unless it asked the switch to (refresher=uas)
 * or does not do timers. `current` is the leg's terms so far (a refresh without Session-Expires
 * keeps them).
 */
export function uasTerms(req: SipMessage, ttl: number, current: SessionTerms | null): SessionTerms {
  // A peer that said `timer` once on this dialog still does, even if a refresh forgets to say so.
  const peerSupports = supportsTimer(req) || (current?.peerSupports ?? false);
  const se = req.sessionExpires;
  if (se < 0) {
    if (current && current.interval > 0) return { ...current, peerSupports };
    if (!peerSupports) return { interval: 0, weRefresh: true, peerSupports: false };
  }
  const floor = Math.max(MIN_SE, req.minSE);
  const interval = se > 0 ? Math.max(Math.min(se, ttl), floor) : Math.max(ttl, floor);
  return { interval, weRefresh: !peerSupports || req.refresher.toLowerCase() === 'uas', peerSupports };
}

/**
 * The terms of a leg where the switch is the UAC, from the peer's 2xx (RFC 4028 §7.2): no
 * Session-Expires means no session timer (liveness re-INVITEs then); refresher=uas means the
 * peer refreshes, anything else the switch.
 */
export function uacTerms(resp: SipMessage): SessionTerms {
  const peerSupports = supportsTimer(resp);
  const se = resp.sessionExpires;
  if (se <= 0) return { interval: 0, weRefresh: true, peerSupports };
  return { interval: se, weRefresh: resp.refresher.toLowerCase() !== 'uas', peerSupports };
}

/** Session-Expires (and Supported) for a request the switch sends on a leg with these terms. */
export function requestHeaders(t: SessionTerms | null, out: Array<[string, string]>): void {
  if (!t || t.interval === 0) return;
  out.push(['Supported', 'timer'], ['Session-Expires', `${t.interval};refresher=${t.weRefresh ? 'uac' : 'uas'}`]);
}

/** Session-Expires (and Require/Supported) for a 2xx the switch sends on a leg with these terms. */
export function responseHeaders(t: SessionTerms | null, out: Array<[string, string]>): void {
  if (!t || t.interval === 0) return;
  out.push(['Session-Expires', `${t.interval};refresher=${t.weRefresh ? 'uas' : 'uac'}`]);
  // The peer must know it refreshes (RFC 4028 §9): Require: timer when it said it can.
  out.push(t.peerSupports ? ['Require', 'timer'] : ['Supported', 'timer']);
}
