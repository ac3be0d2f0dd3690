import type { CallRecord } from '../call/index.js';

/** One carrier attempt of a finished call, times in ms from the caller's INVITE. */
export interface AttemptFlow {
  readonly n: number;
  readonly gateway: string;
  readonly gatewayId: number;
  readonly to: string;
  readonly calleeSent: string;
  readonly callerSent: string;
  readonly callId: string;
  readonly startMs: number;
  /** First 18x, or null. */
  readonly provisionalMs: number | null;
  readonly provisional: number;
  readonly sdpSeen: boolean;
  /** The carrier's final status (408 = timed out, 0 = none: the caller went away first). */
  readonly status: number;
}

/** "Call analysis": the flow of a finished call as the switch saw it (the SIP trace will add the messages). */
export interface CallFlow {
  readonly flowNo: string;
  readonly start: string;
  readonly ingress: string;
  readonly source: string;
  readonly callerCallId: string;
  readonly callee: { readonly received: string; readonly billed: string; readonly sent: string };
  readonly caller: { readonly received: string; readonly billed: string; readonly sent: string };
  readonly attempts: readonly AttemptFlow[];
  readonly answerMs: number | null;
  readonly endMs: number;
  readonly talkMs: number;
  readonly endReason: string;
  readonly endReasonText: string;
  readonly endDirection: 'caller' | 'callee' | 'server';
  readonly callerSipCode: number;
  readonly calleeSipCode: number;
}

const DIRECTIONS = ['caller', 'callee', 'server'] as const;

function flowOf(r: CallRecord): CallFlow {
  const t0 = r.startMono;
  const ms = (m: number) => Math.round((m - t0) * 1000) / 1000;
  return {
    flowNo: r.flowNo,
    start: new Date(r.startWall).toISOString(),
    ingress: r.ingress.name,
    source: `${r.source.address}:${r.source.port}/${r.source.transport}`,
    callerCallId: r.callerCallId,
    callee: { ...r.callee },
    caller: { ...r.caller },
    attempts: r.attempts.map((a, i) => ({
      n: i + 1, gateway: a.gateway.name, gatewayId: a.gateway.id, to: `${a.gateway.address}:${a.gateway.port}/${a.gateway.transport}`,
      calleeSent: a.callee, callerSent: a.caller, callId: a.callId, startMs: ms(a.startMono),
      provisionalMs: a.firstProvisionalMono >= 0 ? ms(a.firstProvisionalMono) : null, provisional: a.provisional, sdpSeen: a.sdpSeen, status: a.status,
    })),
    answerMs: r.answerMono > 0 ? ms(r.answerMono) : null,
    endMs: ms(r.endMono),
    talkMs: r.answerMono > 0 ? Math.max(0, Math.round(r.endMono - r.answerMono)) : 0,
    endReason: r.endReason ?? '',
    endReasonText: r.endReasonText,
    endDirection: DIRECTIONS[r.endDirection] ?? 'server',
    callerSipCode: r.callerSipCode,
    calleeSipCode: r.calleeSipCode,
  };
}

/**
 * The flows of the last `capacity` finished calls, by flow number (oldest dropped first). Kept in
 * memory: a bounded, constant cost per call; the CDR keeps the summary of older ones.
 */
export class CallFlows {
  readonly #flows = new Map<string, CallFlow>();
  constructor(readonly capacity: number) {}

  /** For Softswitch.onCallEnded: must not throw. */
  readonly listener = (rec: CallRecord): void => {
    if (this.capacity <= 0) return;
    this.#flows.set(rec.flowNo, flowOf(rec));
    if (this.#flows.size > this.capacity) this.#flows.delete(this.#flows.keys().next().value!);
  };

  get(flowNo: string): CallFlow | undefined {
    return this.#flows.get(flowNo);
  }

  get size(): number {
    return this.#flows.size;
  }
}
