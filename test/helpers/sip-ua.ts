// A SIP user agent we did not write: the npm `sip` package, wrapped for tests.
import sip from 'sip';

export type SipMsg = any;

export interface Ua {
  readonly address: string;
  readonly port: number;
  /** Every request this UA received, in order. */
  readonly received: SipMsg[];
  send(req: SipMsg, onResponse?: (rs: SipMsg) => void): void;
  respond(rq: SipMsg, status: number, reason: string, extra?: { toTag?: string; contact?: string; content?: string; contentType?: string; headers?: Record<string, unknown> }): SipMsg;
  /** Waits until a request matching `pred` has been received. */
  waitRequest(pred: (rq: SipMsg) => boolean, timeoutMs?: number): Promise<SipMsg>;
  stop(): void;
}

export function createUa(address: string, port: number, onRequest?: (rq: SipMsg, ua: Ua) => void, opts: { tcp?: boolean } = {}): Ua {
  const received: SipMsg[] = [];
  const waiters: Array<{ pred: (rq: SipMsg) => boolean; resolve: (rq: SipMsg) => void }> = [];
  let stack: any;
  const ua: Ua = {
    address, port, received,
    send(req, onResponse) {
      stack.send(req, onResponse ?? (() => {}));
    },
    respond(rq, status, reason, extra = {}) {
      const rs = sip.makeResponse(rq, status, reason);
      // makeResponse shares header objects with the request: copy before adding the tag.
      if (extra.toTag) rs.headers.to = { ...rs.headers.to, params: { ...(rs.headers.to.params ?? {}), tag: extra.toTag } };
      if (extra.contact) rs.headers.contact = [{ uri: extra.contact }];
      if (extra.content) {
        rs.content = extra.content;
        rs.headers['content-type'] = extra.contentType ?? 'application/sdp';
      }
      if (extra.headers) Object.assign(rs.headers, extra.headers);
      stack.send(rs);
      return rs;
    },
    waitRequest(pred, timeoutMs = 5000) {
      const found = received.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (rq: SipMsg) => { clearTimeout(t); resolve(rq); } };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${address}:${port} did not receive the expected request`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    stop() {
      stack.destroy();
    },
  };
  stack = sip.create({ address, port, udp: true, tcp: !!opts.tcp, publicAddress: address, logger: { error: () => {} } }, (rq: SipMsg) => {
    received.push(rq);
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i]!.pred(rq)) {
        const w = waiters.splice(i, 1)[0]!;
        w.resolve(rq);
        break;
      }
    }
    if (onRequest) onRequest(rq, ua);
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
  return ua;
}

let n = 0;
export function uniq(prefix: string): string {
  return `${prefix}-${process.pid}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
}

export const SDP_A = 'v=0\r\no=caller 1 1 IN IP4 127.0.0.11\r\ns=-\r\nc=IN IP4 127.0.0.11\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n';
export const SDP_B = 'v=0\r\no=carrier 1 1 IN IP4 127.0.0.12\r\ns=-\r\nc=IN IP4 127.0.0.12\r\nt=0 0\r\nm=audio 50000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** Builds an INVITE from the caller UA to the switch. */
export function invite(from: Ua, switchAddr: string, switchPort: number, callee: string, opts: { sdp?: string | null; transport?: 'tcp' } = {}): SipMsg {
  const tp = opts.transport === 'tcp' ? ';transport=tcp' : '';
  const sdp = opts.sdp === undefined ? SDP_A : opts.sdp;
  const m: SipMsg = {
    method: 'INVITE',
    uri: `sip:${callee}@${switchAddr}:${switchPort}${tp}`,
    headers: {
      to: { uri: `sip:${callee}@${switchAddr}` },
      from: { name: 'Caller', uri: `sip:1000@${from.address}`, params: { tag: uniq('ft') } },
      'call-id': uniq('cid'),
      cseq: { method: 'INVITE', seq: 1 },
      contact: [{ uri: `sip:1000@${from.address}:${from.port}${tp}` }],
      'max-forwards': 70,
    },
  };
  if (sdp) {
    m.content = sdp;
    m.headers['content-type'] = 'application/sdp';
  }
  return m;
}

/** The ACK for a 2xx (end to end). */
export function ackFor(inv: SipMsg, rs: SipMsg): SipMsg {
  return {
    method: 'ACK',
    uri: rs.headers.contact?.[0]?.uri ?? inv.uri,
    headers: { to: rs.headers.to, from: rs.headers.from, 'call-id': rs.headers['call-id'], cseq: { method: 'ACK', seq: rs.headers.cseq.seq }, via: [], 'max-forwards': 70 },
  };
}

/** An in-dialog request from the caller side, given the dialog's 2xx. */
export function inDialog(method: string, inv: SipMsg, rs: SipMsg, seq: number, content?: string): SipMsg {
  const m: SipMsg = {
    method,
    uri: rs.headers.contact?.[0]?.uri ?? inv.uri,
    headers: { to: rs.headers.to, from: rs.headers.from, 'call-id': rs.headers['call-id'], cseq: { method, seq }, 'max-forwards': 70, contact: inv.headers.contact },
  };
  if (content) {
    m.content = content;
    m.headers['content-type'] = 'application/sdp';
  }
  return m;
}

/** An in-dialog request from the callee side, given the INVITE it received and the tag it answered with. */
export function calleeRequest(method: string, rq: SipMsg, toTag: string, seq: number): SipMsg {
  return {
    method,
    uri: rq.headers.contact?.[0]?.uri,
    headers: {
      to: rq.headers.from,
      from: { ...rq.headers.to, params: { ...(rq.headers.to.params ?? {}), tag: toTag } },
      'call-id': rq.headers['call-id'],
      cseq: { method, seq },
      'max-forwards': 70,
    },
  };
}

/** A carrier that answers every INVITE with 200 and SDP (a fresh to-tag each time) and 200s other requests. */
export function answeringUa(address: string, port = 5080): Ua {
  return createUa(address, port, (rq, ua) => {
    if (rq.method === 'INVITE') ua.respond(rq, 200, 'OK', { toTag: `t${Math.random()}`, contact: `sip:c@${address}:${port}`, content: SDP_B });
    else if (rq.method !== 'ACK') ua.respond(rq, 200, 'OK');
  });
}
