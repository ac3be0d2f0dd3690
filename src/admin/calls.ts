import { CallState, type Call } from '../call/index.js';
import { monotonicMs } from '../util/time.js';

/** Set-up states as in the reference's current-call view, then connected. */
export type CallViewState = 'authorizing' | 'invite-sent' | 'ringing' | 'session-progress' | 'session-progress-sdp' | 'connected' | 'released';

export interface CallView {
  flowNo: string;
  state: CallViewState;
  caller: { received: string; sent: string };
  callee: { received: string; billed: string; sent: string };
  ingress: { gateway: string; ip: string; port: number; transport: string };
  /** The routing gateway of the current attempt (null before the first). */
  gateway: string | null;
  attempts: number;
  callerCallId: string;
  calleeCallId: string | null;
  startTime: string;
  answerTime: string | null;
  /** Since the INVITE arrived. */
  durationMs: number;
  /** Since the answer (0 before). */
  talkMs: number;
  /** Post-dial delay of the current attempt (ms to the first 18x), or null. */
  pddMs: number | null;
}

/** What the operator sees of one call in progress. */
export function callView(call: Call, nowMono = monotonicMs()): CallView {
  const r = call.rec;
  const a = r.attempts[r.attempts.length - 1];
  return {
    flowNo: r.flowNo,
    state: stateOf(call),
    caller: { received: r.caller.received, sent: r.caller.sent },
    callee: { received: r.callee.received, billed: r.callee.billed, sent: r.callee.sent },
    ingress: { gateway: r.ingress.name, ip: r.source.address, port: r.source.port, transport: r.source.transport },
    gateway: a?.gateway.name ?? null,
    attempts: r.attempts.length,
    callerCallId: r.callerCallId,
    calleeCallId: a?.callId ?? null,
    startTime: new Date(r.startWall).toISOString(),
    answerTime: r.answerWall > 0 ? new Date(r.answerWall).toISOString() : null,
    durationMs: Math.round(nowMono - r.startMono),
    talkMs: r.answerMono > 0 ? Math.round(nowMono - r.answerMono) : 0,
    pddMs: a && a.firstProvisionalMono >= 0 ? Math.round(a.firstProvisionalMono - a.startMono) : null,
  };
}

function stateOf(call: Call): CallViewState {
  if (call.state === CallState.Answered) return 'connected';
  if (call.state === CallState.Ended) return 'released';
  const a = call.rec.attempts[call.rec.attempts.length - 1];
  if (!a) return 'authorizing';
  // The call room does not record 100 Trying on the attempt yet, so "trying" shows as invite-sent.
  if (a.provisional >= 180 && a.provisional <= 182) return 'ringing';
  if (a.provisional >= 183) return a.sdpSeen ? 'session-progress-sdp' : 'session-progress';
  return 'invite-sent';
}

export const CALL_VIEW_SCHEMA = {
  type: 'object',
  properties: {
    flowNo: { type: 'string' },
    state: { type: 'string', enum: ['authorizing', 'invite-sent', 'ringing', 'session-progress', 'session-progress-sdp', 'connected', 'released'] },
    caller: { type: 'object', properties: { received: { type: 'string' }, sent: { type: 'string' } } },
    callee: { type: 'object', properties: { received: { type: 'string' }, billed: { type: 'string' }, sent: { type: 'string' } } },
    ingress: { type: 'object', properties: { gateway: { type: 'string' }, ip: { type: 'string' }, port: { type: 'integer' }, transport: { type: 'string' } } },
    gateway: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    callerCallId: { type: 'string' },
    calleeCallId: { type: ['string', 'null'] },
    startTime: { type: 'string' },
    answerTime: { type: ['string', 'null'] },
    durationMs: { type: 'integer' },
    talkMs: { type: 'integer' },
    pddMs: { type: ['integer', 'null'] },
  },
} as const;
