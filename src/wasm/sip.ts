/**
 * The one wrapper around build/wasm/sip.wasm: copies bytes into the module's input region, runs the
 * one-pass indexer, and hands back a SipMessage that slices strings lazily from its own copy of the
 * bytes. Malformed input never throws: it becomes a ParseResult with a code and a SIP status.
 */
import { readFileSync } from 'node:fs';

// Canonical header names by id; must match assembly/sip/tables.ts (a test checks every entry).
export const HEADER_NAMES: readonly string[] = ['', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Length', 'Content-Type', 'Max-Forwards', 'Route', 'Record-Route', 'Session-Expires', 'Min-SE', 'Require', 'Proxy-Require', 'Supported', 'Subject', 'Content-Encoding', 'Event', 'Refer-To', 'Referred-By', 'Allow-Events', 'Accept-Contact', 'Reject-Contact', 'Request-Disposition', 'Identity', 'Identity-Info', 'Allow', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Authentication-Info', 'Authorization', 'Call-Info', 'Content-Disposition', 'Content-Language', 'Date', 'Error-Info', 'Expires', 'In-Reply-To', 'MIME-Version', 'Min-Expires', 'Organization', 'Priority', 'Proxy-Authenticate', 'Proxy-Authorization', 'Reply-To', 'Retry-After', 'Server', 'Timestamp', 'Unsupported', 'User-Agent', 'Warning', 'WWW-Authenticate', 'RSeq', 'RAck', 'Path', 'Privacy', 'Reason', 'Replaces', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Remote-Party-ID', 'Diversion', 'P-Charging-Vector'];

/** RFC 3261 §7.3.3 compact forms (and a few later RFCs'), letter -> canonical name. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  v: 'Via', f: 'From', t: 'To', i: 'Call-ID', m: 'Contact', l: 'Content-Length', k: 'Supported', s: 'Subject',
  c: 'Content-Type', e: 'Content-Encoding', o: 'Event', r: 'Refer-To', b: 'Referred-By', x: 'Session-Expires',
  u: 'Allow-Events', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition', y: 'Identity', n: 'Identity-Info',
};

const NAME_TO_ID = new Map<string, number>();
HEADER_NAMES.forEach((n, id) => { if (n) NAME_TO_ID.set(n.toLowerCase(), id); });
for (const [k, v] of Object.entries(COMPACT_FORMS)) NAME_TO_ID.set(k, HEADER_NAMES.indexOf(v));

// ---- index layout, mirrored from assembly/sip/index.ts ----
const S_KIND = 0, S_CONSUMED = 1, S_SKIP = 2, S_ERROR = 3, S_METHOD = 4, S_URI = 6, S_STATUS = 10, S_REASON = 11;
const S_RURI_SCHEME = 13, S_RURI_USER = 15, S_RURI_HOST = 17, S_RURI_PORT = 19, S_HEADER_COUNT = 20;
const S_VIA_COUNT = 21, S_VIA_STORED = 22, S_ROUTE_COUNT = 23, S_FROM = 24, S_TO = 33, S_CALLID = 42, S_CSEQ = 45;
const S_MAXFWD = 49, S_CL = 51, S_CONTACT = 54, S_SE = 63, S_MINSE = 67, S_REQUIRE = 69, S_PROXY_REQUIRE = 70;
const S_BODY = 71, S_HEADER_END = 73, S_MSG_LEN = 74, S_INDEX_OFF = 75, S_RECORD_LEN = 76;
const FIXED = 80;
const HDR_BASE = FIXED;
const H_ROUTE = 10, H_RR = 11;

interface ErrInfo { readonly code: string; readonly status: number; readonly reason: string }
const ERRORS: ReadonlyMap<number, ErrInfo> = new Map([
  [-2, { code: 'SSW_ERR_SIP_EMPTY', status: 0, reason: 'Empty datagram (keep-alive)' }],
  [-3, { code: 'SSW_ERR_SIP_TOO_LARGE', status: 513, reason: 'Message Too Large' }],
  [-10, { code: 'SSW_ERR_SIP_BAD_START_LINE', status: 400, reason: 'Malformed start line' }],
  [-11, { code: 'SSW_ERR_SIP_BAD_VERSION', status: 505, reason: 'Version Not Supported' }],
  [-12, { code: 'SSW_ERR_SIP_BAD_STATUS', status: 0, reason: 'Status code outside 100-699' }],
  [-13, { code: 'SSW_ERR_SIP_BAD_URI', status: 400, reason: 'Malformed Request-URI' }],
  [-14, { code: 'SSW_ERR_SIP_BAD_HEADER', status: 400, reason: 'Malformed header line' }],
  [-15, { code: 'SSW_ERR_SIP_TOO_MANY_HEADERS', status: 400, reason: 'Too many headers or header values' }],
  [-16, { code: 'SSW_ERR_SIP_MISSING_HEADER', status: 400, reason: 'Missing Via, From, To, Call-ID or CSeq' }],
  [-17, { code: 'SSW_ERR_SIP_DUPLICATE_HEADER', status: 400, reason: 'Repeated single-valued header' }],
  [-18, { code: 'SSW_ERR_SIP_BAD_CSEQ', status: 400, reason: 'Malformed CSeq' }],
  [-19, { code: 'SSW_ERR_SIP_CSEQ_METHOD', status: 400, reason: 'CSeq method does not match the request method' }],
  [-20, { code: 'SSW_ERR_SIP_BAD_CONTENT_LENGTH', status: 400, reason: 'Malformed Content-Length' }],
  [-21, { code: 'SSW_ERR_SIP_CONFLICTING_CONTENT_LENGTH', status: 400, reason: 'Conflicting Content-Length values' }],
  [-22, { code: 'SSW_ERR_SIP_MISSING_CONTENT_LENGTH', status: 400, reason: 'Content-Length required on stream transports' }],
  [-23, { code: 'SSW_ERR_SIP_BODY_TRUNCATED', status: 400, reason: 'Content-Length larger than the message' }],
  [-24, { code: 'SSW_ERR_SIP_BAD_VIA', status: 400, reason: 'Malformed Via' }],
  [-25, { code: 'SSW_ERR_SIP_BAD_MAX_FORWARDS', status: 400, reason: 'Malformed Max-Forwards' }],
  [-26, { code: 'SSW_ERR_SIP_BAD_NAME_ADDR', status: 400, reason: 'Malformed From, To or Contact' }],
  [-27, { code: 'SSW_ERR_SIP_BAD_CALL_ID', status: 400, reason: 'Empty Call-ID' }],
]);
const UNKNOWN_ERR: ErrInfo = { code: 'SSW_ERR_SIP_PARSE', status: 400, reason: 'Malformed message' };

export interface Via {
  readonly transport: string; readonly host: string; readonly port: number; readonly branch: string;
  readonly rport: number; readonly received: string; readonly raw: string;
}
export interface NameAddr { readonly raw: string; readonly uri: string; readonly tag: string; readonly displayName: string }
export interface SipUri { readonly scheme: string; readonly user: string; readonly host: string; readonly port: number }

const FOLD = /[ \t]*\r?\n[ \t]*/g;
function unfold(s: string): string {
  return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 ? s : s.replace(FOLD, ' ');
}
function unquote(s: string): string {
  return s.indexOf('\\') < 0 ? s : s.replace(/\\(.)/g, '$1');
}

class NameAddrView implements NameAddr {
  readonly #m: SipMessage;
  readonly #b: number;
  constructor(m: SipMessage, b: number) { this.#m = m; this.#b = b; }
  get raw(): string { return unfold(this.#m.spanUtf8(this.#b + 1)); }
  get uri(): string { return this.#m.span(this.#b + 3); }
  get tag(): string { return this.#m.span(this.#b + 5); }
  get displayName(): string { return unquote(unfold(this.#m.spanUtf8(this.#b + 7))); }
  toJSON(): NameAddr { return { raw: this.raw, uri: this.uri, tag: this.tag, displayName: this.displayName }; }
}

class ViaView implements Via {
  readonly #m: SipMessage;
  readonly #b: number;
  #branch: string | undefined;
  constructor(m: SipMessage, b: number) { this.#m = m; this.#b = b; }
  get raw(): string { return unfold(this.#m.span(this.#b)); }
  get transport(): string { return this.#m.span(this.#b + 2).toUpperCase(); }
  get host(): string { return this.#m.span(this.#b + 4); }
  get port(): number { return this.#m.slot(this.#b + 6); }
  get branch(): string { return (this.#branch ??= this.#m.span(this.#b + 7)); }
  get rport(): number { return this.#m.slot(this.#b + 9); }
  get received(): string { return this.#m.span(this.#b + 10); }
  toJSON(): Via {
    return { transport: this.transport, host: this.host, port: this.port, branch: this.branch, rport: this.rport, received: this.received, raw: this.raw };
  }
}

const EMPTY_VIA: Via = Object.freeze({ transport: '', host: '', port: 0, branch: '', rport: -1, received: '', raw: '' });

/**
 * One parsed SIP message. Its bytes and its offset index live in one Buffer (bytes first, index after),
 * so building a message costs one pooled allocation and three copies; strings are made on demand.
 */
export class SipMessage {
  readonly #store: Buffer;
  readonly #len: number;
  readonly #ix: number; // byte offset of the index inside #store
  readonly #viaBase: number;
  readonly #routeBase: number;
  #buf: Buffer | undefined;
  #callId: string | undefined;
  #method: string | undefined;
  #topVia: Via | undefined;
  #from: NameAddr | undefined;
  #to: NameAddr | undefined;

  /** @internal built by SipParser only */
  constructor(store: Buffer, len: number, ix: number, viaBase: number, routeBase: number) {
    this.#store = store;
    this.#len = len;
    this.#ix = ix;
    this.#viaBase = viaBase;
    this.#routeBase = routeBase;
  }

  /** @internal index slot i */
  slot(i: number): number { return this.#store.readInt32LE(this.#ix + (i << 2)); }
  /** @internal the latin1 string at the (start, length) pair in slots i, i+1 */
  span(i: number): string {
    const s = this.slot(i), l = this.slot(i + 1);
    return l > 0 ? this.#store.latin1Slice(s, s + l) : '';
  }
  /** @internal same, decoded as UTF-8 (display names, reason phrases, header values) */
  spanUtf8(i: number): string {
    const s = this.slot(i), l = this.slot(i + 1);
    return l > 0 ? this.#store.utf8Slice(s, s + l) : '';
  }

  /** Exactly this message's bytes (its own copy). */
  get buf(): Buffer { return (this.#buf ??= this.#store.subarray(0, this.#len)); }
  get isRequest(): boolean { return this.slot(S_KIND) === 1; }
  get method(): string { return (this.#method ??= this.isRequest ? this.span(S_METHOD) : this.cseqMethod); }
  get uri(): string { return this.isRequest ? this.span(S_URI) : ''; }
  get ruri(): SipUri {
    return { scheme: this.span(S_RURI_SCHEME).toLowerCase(), user: this.span(S_RURI_USER), host: this.span(S_RURI_HOST), port: this.slot(S_RURI_PORT) };
  }
  get status(): number { return this.slot(S_STATUS); }
  get reason(): string { return this.spanUtf8(S_REASON); }
  get callId(): string { return (this.#callId ??= this.span(S_CALLID + 1)); }
  get cseq(): number { return this.slot(S_CSEQ + 1); }
  get cseqMethod(): string { return this.span(S_CSEQ + 2); }
  get from(): NameAddr { return (this.#from ??= new NameAddrView(this, S_FROM)); }
  get to(): NameAddr { return (this.#to ??= new NameAddrView(this, S_TO)); }
  get contact(): NameAddr | null { return this.slot(S_CONTACT) > 0 && this.slot(S_CONTACT + 4) > 0 ? new NameAddrView(this, S_CONTACT) : null; }
  get topVia(): Via { return (this.#topVia ??= this.slot(S_VIA_STORED) > 0 ? new ViaView(this, this.#viaBase) : EMPTY_VIA); }
  get viaCount(): number { return this.slot(S_VIA_COUNT); }
  /** Every Via value in order (the index holds up to 128; more is rejected as malformed). */
  vias(): Via[] {
    const n = this.slot(S_VIA_STORED);
    const out: Via[] = [];
    for (let i = 0; i < n; i++) out.push(i === 0 ? this.topVia : new ViaView(this, this.#viaBase + i * 12));
    return out;
  }
  get maxForwards(): number { return this.slot(S_MAXFWD + 1); }
  get contentLength(): number { return this.slot(S_CL) === 0 ? -1 : this.slot(S_CL + 1); }
  get routes(): string[] { return this.#routeList(H_ROUTE); }
  get recordRoutes(): string[] { return this.#routeList(H_RR); }
  #routeList(id: number): string[] {
    const out: string[] = [];
    const n = this.slot(S_ROUTE_COUNT);
    for (let i = 0, b = this.#routeBase; i < n; i++, b += 3) if (this.slot(b) === id) out.push(unfold(this.span(b + 1)));
    return out;
  }
  get sessionExpires(): number { return this.slot(S_SE) === 0 ? -1 : this.slot(S_SE + 1); }
  get refresher(): string { return this.span(S_SE + 2); }
  get minSE(): number { return this.slot(S_MINSE) === 0 ? -1 : this.slot(S_MINSE + 1); }
  /** Number of Require header lines (the server answers 420 when it cannot honour them). */
  get requireCount(): number { return this.slot(S_REQUIRE); }
  /** Number of Proxy-Require header lines. */
  get proxyRequireCount(): number { return this.slot(S_PROXY_REQUIRE); }
  get body(): Buffer { const s = this.slot(S_BODY); return this.#store.subarray(s, s + this.slot(S_BODY + 1)); }
  get headerCount(): number { return this.slot(S_HEADER_COUNT); }
  /** Canonical name of header i (compact forms expanded); unknown names as written. */
  headerName(i: number): string {
    const b = HDR_BASE + i * 5;
    const id = this.slot(b + 4);
    return id > 0 ? HEADER_NAMES[id]! : this.span(b);
  }
  /** Value of header i, with folding replaced by single spaces. */
  headerValue(i: number): string { return unfold(this.spanUtf8(HDR_BASE + i * 5 + 2)); }
  /** First value of the named header (case-insensitive, compact forms resolved). */
  header(name: string): string | undefined {
    const i = this.#find(name, 0);
    return i < 0 ? undefined : this.headerValue(i);
  }
  /** Every header line's value with that name, in order. */
  headerAll(name: string): string[] {
    const out: string[] = [];
    for (let i = this.#find(name, 0); i >= 0; i = this.#find(name, i + 1)) out.push(this.headerValue(i));
    return out;
  }
  #find(name: string, from: number): number {
    const lower = name.toLowerCase();
    const id = NAME_TO_ID.get(lower) ?? 0;
    const n = this.headerCount;
    for (let i = from; i < n; i++) {
      const b = HDR_BASE + i * 5;
      if (id > 0 ? this.slot(b + 4) === id : (this.slot(b + 4) === 0 && this.span(b).toLowerCase() === lower)) return i;
    }
    return -1;
  }
  /** Test aid: every span in the index lies inside buf (returns the first offending slot, or -1). */
  checkIndex(): number {
    const len = this.#len;
    const pairs = [S_METHOD, S_URI, S_REASON, S_RURI_SCHEME, S_RURI_USER, S_RURI_HOST, S_CALLID + 1, S_CSEQ + 2, S_SE + 2, S_BODY];
    for (const b of [S_FROM, S_TO, S_CONTACT]) pairs.push(b + 1, b + 3, b + 5, b + 7);
    for (let i = 0; i < this.headerCount; i++) pairs.push(HDR_BASE + i * 5, HDR_BASE + i * 5 + 2);
    for (let i = 0; i < this.slot(S_VIA_STORED); i++) { const b = this.#viaBase + i * 12; pairs.push(b, b + 2, b + 4, b + 7, b + 10); }
    for (let i = 0; i < this.slot(S_ROUTE_COUNT); i++) pairs.push(this.#routeBase + i * 3 + 1);
    for (const p of pairs) {
      const s = this.slot(p), l = this.slot(p + 1);
      if (s < 0 || l < 0 || s + l > len) return p;
    }
    return -1;
  }
}

// latin1Slice/utf8Slice are undocumented but stable Buffer methods (what toString() calls after its checks).
declare global {
  interface Buffer { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string }
}

export type ParseResult =
  | { readonly ok: true; readonly msg: SipMessage; readonly consumed: number }
  | { readonly ok: false; readonly needMore: true }
  | {
    readonly ok: false; readonly needMore: false; readonly consumed: number; readonly code: string;
    readonly status: number; readonly reason: string; readonly partial: SipMessage | null;
  };

const NEED_MORE: ParseResult = Object.freeze({ ok: false, needMore: true });

interface SipExports {
  readonly memory: WebAssembly.Memory;
  inputPtr(): number; inputCap(): number; outputPtr(): number; recordPtr(): number; parse(len: number, stream: number): number;
}

let wasmModule: WebAssembly.Module | undefined;

/** Parser over one WASM instance; use from the thread that owns the socket. */
export class SipParser {
  readonly maxMessageBytes: number;
  readonly #x: SipExports;
  #mem: Buffer;
  #out: Int32Array;
  readonly #inPtr: number;
  readonly #outPtr: number;
  readonly #recPtr: number;

  /** Loads and instantiates build/wasm/sip.wasm synchronously. */
  constructor() {
    wasmModule ??= new WebAssembly.Module(readFileSync(new URL('../../../build/wasm/sip.wasm', import.meta.url)));
    const inst = new WebAssembly.Instance(wasmModule, {
      env: { abort: () => { throw new Error('sip.wasm abort'); } },
    });
    this.#x = inst.exports as unknown as SipExports;
    this.maxMessageBytes = this.#x.inputCap();
    this.#inPtr = this.#x.inputPtr();
    this.#outPtr = this.#x.outputPtr();
    this.#recPtr = this.#x.recordPtr();
    this.#mem = Buffer.from(this.#x.memory.buffer);
    this.#out = new Int32Array(this.#x.memory.buffer);
  }

  #views(): void {
    if (this.#mem.buffer !== this.#x.memory.buffer) {
      this.#mem = Buffer.from(this.#x.memory.buffer);
      this.#out = new Int32Array(this.#x.memory.buffer);
    }
  }

  /** UDP rules: one datagram is one message; trailing octets past Content-Length are ignored. */
  parseDatagram(buf: Buffer): ParseResult { return this.#parse(buf, 0); }

  /** TCP rules: the first message in buf, or needMore until it is complete. */
  parseStream(buf: Buffer): ParseResult { return this.#parse(buf, 1); }

  #parse(buf: Buffer, stream: number): ParseResult {
    const cap = this.maxMessageBytes;
    if (stream === 0 && buf.length > cap) return tooLarge(buf.length);
    const len = Math.min(buf.length, cap);
    this.#views();
    buf.copy(this.#mem, this.#inPtr, 0, len);
    const rc = this.#x.parse(len, stream);
    const o = this.#outPtr >> 2;
    const out = this.#out;
    if (rc === -1) return len < buf.length || len === cap ? tooLarge(buf.length) : NEED_MORE;
    if (rc > 0) return { ok: true, msg: this.#message(o), consumed: rc };
    const info = ERRORS.get(rc) ?? UNKNOWN_ERR;
    const kind = out[o + S_KIND];
    const status = kind === 2 ? 0 : info.status;
    let partial: SipMessage | null = null;
    if (kind === 1 && out[o + S_HEADER_END]! > 0 && out[o + S_METHOD + 1]! > 0 && out[o + S_VIA_STORED]! > 0 &&
        out[o + S_FROM]! > 0 && out[o + S_TO]! > 0 && out[o + S_CALLID]! > 0 && out[o + S_CSEQ]! > 0 && out[o + S_CSEQ + 3]! > 0) {
      partial = this.#message(o);
    }
    return { ok: false, needMore: false, consumed: out[o + S_CONSUMED]!, code: info.code, status, reason: info.reason, partial };
  }

  #message(o: number): SipMessage {
    const out = this.#out;
    const viaBase = FIXED + out[o + S_HEADER_COUNT]! * 5;
    const routeBase = viaBase + out[o + S_VIA_STORED]! * 12;
    const store = Buffer.allocUnsafe(out[o + S_RECORD_LEN]!);
    this.#mem.copy(store, 0, this.#recPtr, this.#recPtr + store.length);
    return new SipMessage(store, out[o + S_MSG_LEN]!, out[o + S_INDEX_OFF]!, viaBase, routeBase);
  }
}

function tooLarge(n: number): ParseResult {
  return { ok: false, needMore: false, consumed: n, code: 'SSW_ERR_SIP_TOO_LARGE', status: 513, reason: 'Message Too Large', partial: null };
}
