import type { SipMessage } from '../wasm/sip.js';

/** Reason phrases for the status codes the switch sends. */
export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 408: 'Request Timeout', 410: 'Gone',
  413: 'Request Entity Too Large', 415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops',
  484: 'Address Incomplete', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

export function reasonFor(status: number): string {
  return REASONS[status] ?? (status < 200 ? 'Session Progress' : status < 300 ? 'OK' : 'Error');
}

/** Methods the switch understands (sent in Allow). */
export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE, INFO, PRACK, REFER, NOTIFY, MESSAGE';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** A request the switch originates (a client transaction's request). */
export interface OutRequest {
  readonly method: string;
  readonly uri: string;
  /** Our Via value (top and only Via: a B2BUA starts every leg afresh). */
  readonly via: string;
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
  readonly routes: readonly string[];
  readonly maxForwards: number;
  readonly contact?: string | undefined;
  readonly headers?: HeaderList | undefined;
  readonly contentType?: string | undefined;
  readonly body?: Buffer | undefined;
}

/** Serializes a request to wire bytes. */
export function serializeRequest(r: OutRequest, cseqMethod = r.method): Buffer {
  let s = `${r.method} ${r.uri} SIP/2.0\r\nVia: ${r.via}\r\nMax-Forwards: ${r.maxForwards}\r\n`;
  for (const route of r.routes) s += `Route: ${route}\r\n`;
  s += `From: ${r.from}\r\nTo: ${r.to}\r\nCall-ID: ${r.callId}\r\nCSeq: ${r.cseq} ${cseqMethod}\r\n`;
  if (r.contact) s += `Contact: ${r.contact}\r\n`;
  if (r.headers) for (const [n, v] of r.headers) s += `${n}: ${v}\r\n`;
  return finish(s, r.contentType, r.body);
}

function finish(head: string, contentType: string | undefined, body: Buffer | undefined): Buffer {
  const blen = body ? body.length : 0;
  if (blen > 0 && contentType) head += `Content-Type: ${contentType}\r\n`;
  head += `Content-Length: ${blen}\r\n\r\n`;
  if (blen === 0) return Buffer.from(head, 'utf8');
  const h = Buffer.from(head, 'utf8');
  return Buffer.concat([h, body!], h.length + blen);
}

/** Builds the ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same branch, To from the response. */
export function buildNon2xxAck(invite: OutRequest, responseTo: string): Buffer {
  return serializeRequest({ ...invite, method: 'ACK', to: responseTo, headers: undefined, body: undefined, contact: undefined }, 'ACK');
}

export interface ResponseOptions {
  readonly toTag?: string | undefined;
  readonly contact?: string | undefined;
  readonly headers?: HeaderList | undefined;
  readonly contentType?: string | undefined;
  readonly body?: Buffer | undefined;
  readonly reason?: string | undefined;
}

/**
 * Serializes a response to `req` (RFC 3261 §8.2.6): Vias echoed (the top one with received/rport
 * as given), From, Call-ID and CSeq copied, To copied with our tag added if it had none.
 */
export function serializeResponse(req: SipMessage, topVia: string, status: number, o: ResponseOptions, server: string): Buffer {
  let s = `SIP/2.0 ${status} ${o.reason ?? reasonFor(status)}\r\n`;
  const vias = req.vias();
  s += `Via: ${topVia}\r\n`;
  for (let i = 1; i < vias.length; i++) s += `Via: ${vias[i]!.raw}\r\n`;
  const to = req.to;
  s += `From: ${req.from.raw}\r\nTo: ${to.raw}${o.toTag && !to.tag ? `;tag=${o.toTag}` : ''}\r\n`;
  // The CSeq header is echoed as received (it may hold a number too large to parse, RFC 4475 scalar02).
  s += `Call-ID: ${req.callId}\r\nCSeq: ${req.header('cseq') ?? `${req.cseq} ${req.cseqMethod}`}\r\n`;
  if (o.contact) s += `Contact: ${o.contact}\r\n`;
  if (server) s += `Server: ${server}\r\n`;
  if (o.headers) for (const [n, v] of o.headers) s += `${n}: ${v}\r\n`;
  return finish(s, o.contentType, o.body);
}
