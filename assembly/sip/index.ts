// One-pass SIP message indexer (RFC 3261 §7, §18.3, §20, §25). Bytes in at inputPtr(), an index of
// i32 offsets out at outputPtr(); no strings, no allocation per message. All offsets are relative to
// the first byte of the message (after skipped leading CRLFs). Every scan is bounded by the input end.
// The slot layout below is mirrored in src/wasm/sip.ts; change both together.
import { COMPACT_IDS, NAME_BLOB, NAME_START, CLASS } from './tables';

const INPUT_CAP: i32 = 262144;

// ---- error codes (negative return values) ----
const E_NEED_MORE: i32 = -1;
const E_EMPTY: i32 = -2;
const E_TOO_LARGE: i32 = -3;
const E_BAD_START_LINE: i32 = -10;
const E_BAD_VERSION: i32 = -11;
const E_BAD_STATUS: i32 = -12;
const E_BAD_URI: i32 = -13;
const E_BAD_HEADER: i32 = -14;
const E_TOO_MANY_HEADERS: i32 = -15;
const E_MISSING_HEADER: i32 = -16;
const E_DUPLICATE_HEADER: i32 = -17;
const E_BAD_CSEQ: i32 = -18;
const E_CSEQ_METHOD: i32 = -19;
const E_BAD_CONTENT_LENGTH: i32 = -20;
const E_CONFLICTING_CONTENT_LENGTH: i32 = -21;
const E_MISSING_CONTENT_LENGTH: i32 = -22;
const E_BODY_TRUNCATED: i32 = -23;
const E_BAD_VIA: i32 = -24;
const E_BAD_MAX_FORWARDS: i32 = -25;
const E_BAD_NAME_ADDR: i32 = -26;
const E_BAD_CALL_ID: i32 = -27;

// ---- fixed slots ----
const S_KIND = 0; // 1 request, 2 response, 0 unknown
const S_CONSUMED = 1;
const S_SKIP = 2; // leading CRLF octets skipped
const S_ERROR = 3;
const S_METHOD = 4; // start, len
const S_URI = 6;
const S_VERSION = 8;
const S_STATUS = 10;
const S_REASON = 11;
const S_RURI_SCHEME = 13;
const S_RURI_USER = 15;
const S_RURI_HOST = 17;
const S_RURI_PORT = 19;
const S_HEADER_COUNT = 20;
const S_VIA_COUNT = 21;
const S_VIA_STORED = 22;
const S_ROUTE_COUNT = 23;
const S_FROM = 24; // count, raw(2), uri(2), tag(2), display(2)
const S_TO = 33;
const S_CALLID = 42; // count, start, len
const S_CSEQ = 45; // count, number, method start, len
const S_MAXFWD = 49; // count, value
const S_CL = 51; // count, value, conflict
const S_CONTACT = 54; // count, raw(2), uri(2), tag(2), display(2)
const S_SE = 63; // count, delta, refresher start, len
const S_MINSE = 67; // count, value
const S_REQUIRE = 69;
const S_PROXY_REQUIRE = 70;
const S_BODY = 71; // start, len
const S_HEADER_END = 73;
const S_MSG_LEN = 74;
const S_INDEX_OFF = 75; // where the packed index starts inside the record (4-aligned)
const S_RECORD_LEN = 76; // bytes in the record: message bytes, then the packed index
const FIXED: i32 = 80;

const MAX_HEADERS: i32 = 1024;
const HDR_BASE: i32 = FIXED; // per header: name start, name len, value start, value len, id
const MAX_VIAS: i32 = 128;
const VIA_BASE: i32 = HDR_BASE + MAX_HEADERS * 5;
// per Via: raw(2), transport(2), host(2), port, branch(2), rport (-1 absent), received(2)
const MAX_ROUTES: i32 = 256;
const ROUTE_BASE: i32 = VIA_BASE + MAX_VIAS * 12; // per element: header id, start, len
const OUT_SLOTS: i32 = ROUTE_BASE + MAX_ROUTES * 3;

// header ids (see tables.ts / HEADER_NAMES in the wrapper)
const H_VIA = 1, H_FROM = 2, H_TO = 3, H_CALLID = 4, H_CSEQ = 5, H_CONTACT = 6, H_CL = 7;
const H_MAXFWD = 9, H_ROUTE = 10, H_RR = 11, H_SE = 12, H_MINSE = 13, H_REQUIRE = 14, H_PROXY_REQUIRE = 15;

// Allocated once at instantiation (stub runtime bump allocator); never per message.
const INPUT: usize = heap.alloc(<usize>INPUT_CAP);
const OUT: usize = heap.alloc(<usize>OUT_SLOTS << 2);
// The record is what the wrapper copies out in one go: this message's bytes, then its index with the
// header, Via and Route tables packed end to end (only the used entries).
const RECORD: usize = heap.alloc(<usize>INPUT_CAP + 8 + (<usize>OUT_SLOTS << 2));

let base: usize = 0; // first byte of the message
let err: i32 = 0; // first error seen; parsing goes on so a partial index can still answer
let hc: i32 = 0;
let viaCount: i32 = 0;
let viaStored: i32 = 0;
let routeCount: i32 = 0;

export function inputPtr(): usize { return INPUT; }
export function inputCap(): i32 { return INPUT_CAP; }
export function outputPtr(): usize { return OUT; }
export function outputSlots(): i32 { return OUT_SLOTS; }
export function recordPtr(): usize { return RECORD; }

@inline function at(p: usize): u32 { return <u32>load<u8>(p); }
@inline function cls(c: u32): u32 { return <u32>load<u8>(CLASS + <usize>c); }
@inline function isTok(c: u32): bool { return (cls(c) & 1) != 0; }
@inline function isDigit(c: u32): bool { return c - 48 < 10; } // unsigned wrap makes c < '0' huge
@inline function isWsp(c: u32): bool { return c == 32 || c == 9; }
// Inside a header value span CR and LF only occur as part of folding, so they count as whitespace.
@inline function isLws(c: u32): bool { return c == 32 || c == 9 || c == 13 || c == 10; }
@inline function put(slot: i32, v: i32): void { store<i32>(OUT + (<usize>slot << 2), v); }
@inline function get(slot: i32): i32 { return load<i32>(OUT + (<usize>slot << 2)); }
@inline function off(p: usize): i32 { return <i32>(p - base); }
@inline function span(slot: i32, s: usize, e: usize): void { put(slot, off(s)); put(slot + 1, <i32>(e - s)); }
@inline function fail(code: i32): void { if (err == 0) err = code; }
// ASCII letters differ from their lower case by bit 5 only; callers only apply this to token bytes,
// and no token byte other than a letter maps onto a lower-case letter or '-' this way.
@inline function lower(c: u32): u32 { return c | 0x20; }

function skipLws(p: usize, e: usize): usize {
  while (p < e && isLws(at(p))) p++;
  return p;
}
function trimEnd(s: usize, e: usize): usize {
  while (e > s && isLws(at(e - 1))) e--;
  return e;
}
function skipTok(p: usize, e: usize): usize {
  while (p < e && isTok(at(p))) p++;
  return p;
}
// First LF in [p, e), or e. Eight bytes at a time: XOR with 0x0A in every byte turns LF bytes into zero
// bytes; (x - 0x01..01) & ~x & 0x80..80 sets bit 7 of each zero byte. Borrows can only mark bytes above
// a true zero, so the lowest marked byte (ctz / 8, little-endian = lowest address) is the first LF.
function findLf(p: usize, e: usize): usize {
  while (p + 8 <= e) {
    const x = load<u64>(p) ^ 0x0a0a0a0a0a0a0a0a;
    const z = (x - 0x0101010101010101) & ~x & 0x8080808080808080;
    if (z != 0) return p + <usize>(ctz(z) >> 3);
    p += 8;
  }
  while (p < e && at(p) != 10) p++;
  return p;
}
// Case-insensitive comparison of [s, e) with a lower-case ASCII word given as up to 8 packed bytes.
function eqWord(s: usize, e: usize, w: u64, n: i32): bool {
  if (<i32>(e - s) != n) return false;
  for (let i = 0; i < n; i++) {
    if (lower(at(s + <usize>i)) != <u32>((w >> (<u64>i << 3)) & 0xff)) return false;
  }
  return true;
}
// Little-endian packing of short words for eqWord ("tag" = 't' | 'a'<<8 | 'g'<<16).
const W_TAG: u64 = 0x676174;
const W_BRANCH: u64 = 0x68636e617262;
const W_RPORT: u64 = 0x74726f7072;
const W_RECEIVED: u64 = 0x6465766965636572;
const W_REFRESHER: u64 = 0x6568736572666572; // first 8 bytes of "refresher"; scanParams checks the 9th
const W_SIP: u64 = 0x706973;
const W_SIPS: u64 = 0x73706973;
const W_TEL: u64 = 0x6c6574;

// Parses decimal digits in [s, e); returns -1 if empty, non-digit, or above 2^31-1.
function parseUint(s: usize, e: usize): i64 {
  if (s >= e) return -1;
  let v: i64 = 0;
  for (let p = s; p < e; p++) {
    const c = at(p);
    if (!isDigit(c)) return -1;
    v = v * 10 + <i64>(c - 48);
    if (v > 0x7fffffff) return -1;
  }
  return v;
}

// Header id for the name [s, e): compact letters through a 26-entry table, full names through the
// per-first-letter slice of NAME_BLOB. 0 = unknown.
function lookupName(s: usize, e: usize): i32 {
  const n = <i32>(e - s);
  const f = lower(at(s)) - 97; // 'a'
  if (f >= 26) return 0; // unsigned: also catches bytes below 'a'
  if (n == 1) return <i32>load<u8>(COMPACT_IDS + <usize>f);
  let q = <usize>load<u16>(NAME_START + (<usize>f << 1));
  const qe = <usize>load<u16>(NAME_START + (<usize>(f + 1) << 1));
  while (q < qe) {
    const len = <i32>load<u8>(NAME_BLOB + q);
    if (len == n) {
      let i = 1;
      while (i < n && lower(at(s + <usize>i)) == <u32>load<u8>(NAME_BLOB + q + 2 + <usize>i)) i++;
      if (i == n) return <i32>load<u8>(NAME_BLOB + q + 1);
    }
    q += 2 + <usize>len;
  }
  return 0;
}

// End of the quoted string opening at p (position after the closing quote), or 0 if unterminated.
function skipQuoted(p: usize, e: usize): usize {
  p++;
  while (p < e) {
    const c = at(p);
    if (c == 34) return p + 1;
    if (c == 92) p++; // quoted-pair: skip the escaped byte
    p++;
  }
  return 0;
}

// Position of the next comma in [p, e) that is outside quotes and <...>, or e.
function valueEnd(p: usize, e: usize): usize {
  let angle = false;
  while (p < e) {
    const c = at(p);
    if (c == 34) {
      const q = skipQuoted(p, e);
      if (q == 0) return e;
      p = q;
      continue;
    }
    if (c == 60) angle = true;
    else if (c == 62) angle = false;
    else if (c == 44 && !angle) return p;
    p++;
  }
  return e;
}

// End of a generic parameter value starting at p: a quoted string or a run up to ; , or LWS.
function paramValueEnd(p: usize, e: usize): usize {
  if (p < e && at(p) == 34) {
    const q = skipQuoted(p, e);
    return q == 0 ? e : q;
  }
  while (p < e) {
    const c = at(p);
    if (c == 59 || c == 44 || isLws(c)) break;
    p++;
  }
  return p;
}

// Request-URI parts; only sip/sips get user/host/port, tel gets the number as user.
function parseRuri(s: usize, e: usize): void {
  let p = s;
  if (p >= e || (cls(at(p)) & 8) == 0) { fail(E_BAD_URI); return; }
  while (p < e) {
    const c = at(p);
    if ((cls(c) & 10) == 0 && c != 43 && c != 45 && c != 46) break; // ALPHA DIGIT + - .
    p++;
  }
  if (p >= e || at(p) != 58) { fail(E_BAD_URI); return; }
  span(S_RURI_SCHEME, s, p);
  const sch = p;
  p++;
  if (eqWord(s, sch, W_TEL, 3)) {
    let q = p;
    while (q < e && at(q) != 59) q++;
    span(S_RURI_USER, p, q);
    return;
  }
  if (!eqWord(s, sch, W_SIP, 3) && !eqWord(s, sch, W_SIPS, 4)) return;
  let a = p;
  while (a < e && at(a) != 64) a++; // '@'
  let h = p;
  if (a < e) {
    let u = p;
    while (u < a && at(u) != 58) u++; // user ends at ':' (password follows) or '@'
    span(S_RURI_USER, p, u);
    h = a + 1;
  }
  let he = h;
  if (he < e && at(he) == 91) { // '[' IPv6 reference
    while (he < e && at(he) != 93) he++;
    if (he >= e) { fail(E_BAD_URI); return; }
    he++;
  } else {
    while (he < e) {
      const c = at(he);
      if (c == 58 || c == 59 || c == 63) break;
      he++;
    }
  }
  if (he == h) { fail(E_BAD_URI); return; }
  span(S_RURI_HOST, h, he);
  if (he < e && at(he) == 58) {
    let pe = he + 1;
    while (pe < e && isDigit(at(pe))) pe++;
    const port = parseUint(he + 1, pe);
    if (port < 0 || port > 65535 || (pe < e && at(pe) != 59 && at(pe) != 63)) { fail(E_BAD_URI); return; }
    put(S_RURI_PORT, <i32>port);
  }
}

function parseStartLine(s: usize, e: usize): void {
  // A method is a token and '/' is not a token char, so "SIP/" at the start means a response.
  if (e - s >= 4 && lower(at(s)) == 115 && lower(at(s + 1)) == 105 && lower(at(s + 2)) == 112 && at(s + 3) == 47) {
    put(S_KIND, 2);
    let v = s + 4;
    while (v < e && !isWsp(at(v))) v++;
    span(S_VERSION, s, v);
    if (!versionIs20(s, v)) fail(looksLikeVersion(s, v) ? E_BAD_VERSION : E_BAD_START_LINE);
    if (v >= e) { fail(E_BAD_START_LINE); return; }
    let c = v + 1;
    let ce = c;
    while (ce < e && isDigit(at(ce))) ce++;
    if (ce - c != 3 || (ce < e && !isWsp(at(ce)))) { fail(E_BAD_STATUS); return; }
    const st = <i32>parseUint(c, ce);
    if (st < 100 || st > 699) { fail(E_BAD_STATUS); return; }
    put(S_STATUS, st);
    const r = ce < e ? ce + 1 : e;
    span(S_REASON, r, e);
    return;
  }
  put(S_KIND, 1);
  const me = skipTok(s, e);
  if (me == s || me >= e || !isWsp(at(me))) { fail(E_BAD_START_LINE); return; }
  span(S_METHOD, s, me);
  let u = me;
  while (u < e && isWsp(at(u))) u++; // liberal: several SP (lwsstart)
  let le = e;
  while (le > u && isWsp(at(le - 1))) le--; // liberal: trailing SP (trws)
  let vs = le;
  while (vs > u && !isWsp(at(vs - 1))) vs--;
  if (vs <= u) { fail(E_BAD_START_LINE); return; }
  span(S_VERSION, vs, le);
  let ue = vs;
  while (ue > u && isWsp(at(ue - 1))) ue--;
  span(S_URI, u, ue);
  if (!looksLikeVersion(vs, le)) { fail(E_BAD_START_LINE); return; }
  if (!versionIs20(vs, le)) fail(E_BAD_VERSION);
  for (let q = u; q < ue; q++) if (isWsp(at(q))) { fail(E_BAD_URI); return; } // lwsruri
  parseRuri(u, ue);
}

// "SIP/" 1*DIGIT "." 1*DIGIT, SIP case-insensitively (ABNF literals are).
function looksLikeVersion(s: usize, e: usize): bool {
  if (e - s < 7) return false;
  if (lower(at(s)) != 115 || lower(at(s + 1)) != 105 || lower(at(s + 2)) != 112 || at(s + 3) != 47) return false;
  let p = s + 4;
  const d1 = p;
  while (p < e && isDigit(at(p))) p++;
  if (p == d1 || p >= e || at(p) != 46) return false;
  p++;
  const d2 = p;
  while (p < e && isDigit(at(p))) p++;
  return p > d2 && p == e;
}
function versionIs20(s: usize, e: usize): bool {
  return e - s == 7 && looksLikeVersion(s, e) && at(s + 4) == 50 && at(s + 6) == 48;
}

// Scans generic params *( LWS ";" LWS name [ LWS "=" LWS value ] ) from p and records in slot the value
// span of the one named by the packed word w (n bytes) plus, when tail != 0, one more byte tail.
function scanParams(p: usize, e: usize, w: u64, n: i32, tail: u32, slot: i32): void {
  const want = tail != 0 ? n + 1 : n;
  while (true) {
    p = skipLws(p, e);
    if (p >= e || at(p) != 59) return;
    p = skipLws(p + 1, e);
    const ns = p;
    p = skipTok(p, e);
    const ne = p;
    p = skipLws(p, e);
    if (p < e && at(p) == 61) {
      p = skipLws(p + 1, e);
      const vs = p;
      p = paramValueEnd(p, e);
      if (<i32>(ne - ns) == want && eqWord(ns, ns + <usize>n, w, n) && (tail == 0 || lower(at(ns + <usize>n)) == tail)) span(slot, vs, p);
    }
  }
}

// name-addr / addr-spec with header params; fills count+1.. slots at sb. Returns false if malformed.
function parseNameAddr(s: usize, e: usize, sb: i32): void {
  span(sb + 1, s, e);
  let p = skipLws(s, e);
  let us: usize = 0, ue: usize = 0;
  if (p < e && at(p) == 34) {
    const q = skipQuoted(p, e);
    if (q == 0) { fail(E_BAD_NAME_ADDR); return; } // quotbal
    span(sb + 7, p + 1, q - 1);
    p = skipLws(q, e);
    if (p >= e || at(p) != 60) { fail(E_BAD_NAME_ADDR); return; }
  } else {
    let lt = p;
    while (lt < e && at(lt) != 60 && at(lt) != 34) lt++;
    if (lt < e && at(lt) == 60) {
      span(sb + 7, p, trimEnd(p, lt));
      p = lt;
    }
  }
  if (p < e && at(p) == 60) {
    us = p + 1;
    ue = us;
    while (ue < e && at(ue) != 62) ue++;
    if (ue >= e) { fail(E_BAD_NAME_ADDR); return; }
    p = ue + 1;
  } else {
    // addr-spec: the URI cannot carry parameters, so ';' starts header params
    us = p;
    ue = p;
    while (ue < e && at(ue) != 59 && !isLws(at(ue))) ue++;
    p = ue;
  }
  if (ue == us) { fail(E_BAD_NAME_ADDR); return; }
  span(sb + 3, us, ue);
  scanParams(p, e, W_TAG, 3, 0, sb + 5);
}

// One Via value [s, e) (no top-level comma inside).
function parseViaValue(s: usize, e: usize): void {
  viaCount++;
  const store_ = viaStored < MAX_VIAS;
  const vb = VIA_BASE + viaStored * 12;
  if (store_) {
    viaStored++;
    for (let i = 0; i < 12; i++) put(vb + i, 0);
    put(vb + 9, -1);
    span(vb, s, trimEnd(s, e));
  } else if (viaStored >= MAX_VIAS) {
    fail(E_BAD_VIA);
  }
  // sent-protocol = name LWS "/" LWS version LWS "/" LWS transport
  let p = s;
  let q = skipTok(p, e);
  if (q == p) { fail(E_BAD_VIA); return; }
  p = skipLws(q, e);
  if (p >= e || at(p) != 47) { fail(E_BAD_VIA); return; }
  p = skipLws(p + 1, e);
  q = skipTok(p, e);
  if (q == p) { fail(E_BAD_VIA); return; }
  p = skipLws(q, e);
  if (p >= e || at(p) != 47) { fail(E_BAD_VIA); return; }
  p = skipLws(p + 1, e);
  q = skipTok(p, e);
  if (q == p) { fail(E_BAD_VIA); return; }
  if (store_) span(vb + 2, p, q);
  p = skipLws(q, e);
  // sent-by = host [ ":" port ]
  const hs = p;
  if (p < e && at(p) == 91) {
    while (p < e && at(p) != 93) p++;
    if (p >= e) { fail(E_BAD_VIA); return; }
    p++;
  } else {
    p = skipTok(p, e);
  }
  if (p == hs) { fail(E_BAD_VIA); return; }
  if (store_) span(vb + 4, hs, p);
  p = skipLws(p, e);
  if (p < e && at(p) == 58) {
    p = skipLws(p + 1, e);
    const ps = p;
    while (p < e && isDigit(at(p))) p++;
    const port = parseUint(ps, p);
    if (port < 0 || port > 65535) { fail(E_BAD_VIA); return; }
    if (store_) put(vb + 6, <i32>port);
  }
  while (true) {
    p = skipLws(p, e);
    if (p >= e) break;
    if (at(p) != 59) { fail(E_BAD_VIA); return; }
    p = skipLws(p + 1, e);
    const ns = p;
    p = skipTok(p, e);
    const ne = p;
    if (ne == ns) { fail(E_BAD_VIA); return; } // empty parameter (badinv01)
    p = skipLws(p, e);
    let vs: usize = 0, ve: usize = 0;
    let hasValue = false;
    if (p < e && at(p) == 61) {
      p = skipLws(p + 1, e);
      vs = p;
      p = paramValueEnd(p, e);
      ve = p;
      hasValue = true;
    }
    if (!store_) continue;
    if (eqWord(ns, ne, W_BRANCH, 6)) {
      if (hasValue) span(vb + 7, vs, ve);
    } else if (eqWord(ns, ne, W_RPORT, 5)) {
      if (hasValue && ve > vs) {
        const rp = parseUint(vs, ve);
        if (rp < 0 || rp > 65535) { fail(E_BAD_VIA); return; }
        put(vb + 9, <i32>rp);
      } else put(vb + 9, 0);
    } else if (eqWord(ns, ne, W_RECEIVED, 8)) {
      if (hasValue) span(vb + 10, vs, ve);
    }
  }
}

function parseVia(s: usize, e: usize): void {
  let p = s;
  while (true) {
    p = skipLws(p, e);
    if (p >= e) { fail(E_BAD_VIA); return; } // empty value or trailing comma
    const ve = valueEnd(p, e);
    parseViaValue(p, trimEnd(p, ve));
    if (ve >= e) return;
    p = ve + 1;
  }
}

function parseRoutes(s: usize, e: usize, id: i32): void {
  let p = s;
  while (p < e) {
    p = skipLws(p, e);
    if (p >= e) break;
    const ve = valueEnd(p, e);
    const te = trimEnd(p, ve);
    if (te > p) {
      if (routeCount < MAX_ROUTES) {
        const rb = ROUTE_BASE + routeCount * 3;
        put(rb, id);
        span(rb + 1, p, te);
        routeCount++;
      } else fail(E_TOO_MANY_HEADERS);
    }
    p = ve + 1;
  }
}

function parseCSeq(s: usize, e: usize): void {
  let p = s;
  while (p < e && isDigit(at(p))) p++;
  const n = parseUint(s, p);
  const ms = skipLws(p, e);
  if (ms == p) { fail(E_BAD_CSEQ); return; }
  const me = skipTok(ms, e);
  if (me == ms || skipLws(me, e) != e) { fail(E_BAD_CSEQ); return; }
  // An overlarge number (RFC 4475 scalar02) is an error, but the method is still indexed so the
  // 400 can echo the CSeq header and reach the sender.
  span(S_CSEQ + 2, ms, me);
  if (n < 0) { fail(E_BAD_CSEQ); return; }
  put(S_CSEQ + 1, <i32>n);
}

// Counts one more occurrence of a single-valued header; true if it is the first.
function firstOf(slot: i32): bool {
  const n = get(slot) + 1;
  put(slot, n);
  if (n > 1) { fail(E_DUPLICATE_HEADER); return false; }
  return true;
}

function onHeader(id: i32, vs: usize, ve: usize): void {
  switch (id) {
    case H_VIA: parseVia(vs, ve); break;
    case H_FROM: if (firstOf(S_FROM)) parseNameAddr(vs, ve, S_FROM); break;
    case H_TO: if (firstOf(S_TO)) parseNameAddr(vs, ve, S_TO); break;
    case H_CALLID: {
      if (firstOf(S_CALLID)) {
        if (ve == vs) fail(E_BAD_CALL_ID);
        span(S_CALLID + 1, vs, ve);
      }
      break;
    }
    case H_CSEQ: if (firstOf(S_CSEQ)) parseCSeq(vs, ve); break;
    case H_MAXFWD: {
      if (firstOf(S_MAXFWD)) {
        // Overlarge values are tolerated (RFC 4475 scalar02) and clamped; non-numeric is not.
        let p = vs;
        let v: i64 = 0;
        while (p < ve && isDigit(at(p))) { if (v < 0x7fffffff) v = v * 10 + <i64>(at(p) - 48); p++; }
        if (p == vs || p != ve) { fail(E_BAD_MAX_FORWARDS); break; }
        put(S_MAXFWD + 1, v > 0x7fffffff ? 0x7fffffff : <i32>v);
      }
      break;
    }
    case H_CL: {
      const v = parseUint(vs, ve);
      const n = get(S_CL) + 1;
      put(S_CL, n);
      if (v < 0) { fail(E_BAD_CONTENT_LENGTH); put(S_CL + 1, -1); break; }
      if (n > 1 && get(S_CL + 1) != <i32>v) { put(S_CL + 2, 1); fail(E_CONFLICTING_CONTENT_LENGTH); break; }
      put(S_CL + 1, <i32>v);
      break;
    }
    case H_CONTACT: {
      if (get(S_CONTACT) == 0) parseNameAddr(vs, trimEnd(vs, valueEnd(vs, ve)), S_CONTACT);
      put(S_CONTACT, get(S_CONTACT) + 1);
      break;
    }
    case H_ROUTE: case H_RR: parseRoutes(vs, ve, id); break;
    case H_SE: {
      put(S_SE, get(S_SE) + 1);
      let p = vs;
      while (p < ve && isDigit(at(p))) p++;
      put(S_SE + 1, <i32>parseUint(vs, p));
      scanParams(p, ve, W_REFRESHER, 8, 114, S_SE + 2); // "refreshe" + 'r'
      break;
    }
    case H_MINSE: {
      put(S_MINSE, get(S_MINSE) + 1);
      let p = vs;
      while (p < ve && isDigit(at(p))) p++;
      put(S_MINSE + 1, <i32>parseUint(vs, p));
      break;
    }
    case H_REQUIRE: put(S_REQUIRE, get(S_REQUIRE) + 1); break;
    case H_PROXY_REQUIRE: put(S_PROXY_REQUIRE, get(S_PROXY_REQUIRE) + 1); break;
    default: break;
  }
}

function sameBytes(a: usize, b: usize, n: i32): bool {
  for (let i = 0; i < n; i++) if (at(a + <usize>i) != at(b + <usize>i)) return false;
  return true;
}

// Builds the record: message bytes, then fixed slots + used header records + used Via records + used
// Route records, contiguous, so the wrapper needs one copy and can find tables from the counts.
function pack(msgLen: i32): void {
  const ixOff = (msgLen + 3) & ~3; // round up to a multiple of 4 so the index stays i32-aligned
  const hBytes = <usize>(FIXED + hc * 5) << 2;
  const vBytes = <usize>(viaStored * 12) << 2;
  const rBytes = <usize>(routeCount * 3) << 2;
  put(S_INDEX_OFF, ixOff);
  put(S_RECORD_LEN, ixOff + <i32>(hBytes + vBytes + rBytes));
  memory.copy(RECORD, base, <usize>msgLen);
  const ix = RECORD + <usize>ixOff;
  memory.copy(ix, OUT, hBytes);
  memory.copy(ix + hBytes, OUT + (<usize>VIA_BASE << 2), vBytes);
  memory.copy(ix + hBytes + vBytes, OUT + (<usize>ROUTE_BASE << 2), rBytes);
}

/** Indexes the message at inputPtr()[0..len). stream=1: TCP framing. Returns bytes consumed or an error < 0. */
export function parse(len: i32, stream: i32): i32 {
  if (len < 0 || len > INPUT_CAP) return E_TOO_LARGE;
  memory.fill(OUT, 0, <usize>FIXED << 2);
  put(S_SE + 1, -1);
  put(S_MINSE + 1, -1);
  put(S_MAXFWD + 1, -1);
  put(S_CL + 1, -1);
  err = 0; hc = 0; viaCount = 0; viaStored = 0; routeCount = 0;
  const e = INPUT + <usize>len;
  let p = INPUT;
  while (p < e && (at(p) == 13 || at(p) == 10)) p++; // keep-alives / stray CRLFs before the start line
  base = p;
  put(S_SKIP, <i32>(p - INPUT));
  put(S_CONSUMED, len);
  if (p == e) return stream != 0 ? E_NEED_MORE : E_EMPTY;

  let le = findLf(p, e);
  if (le == e && stream != 0) return E_NEED_MORE;
  parseStartLine(p, le > p && at(le - 1) == 13 ? le - 1 : le);
  p = le < e ? le + 1 : e;

  let done = false;
  while (p < e) {
    const c = at(p);
    if (c == 10) { p++; done = true; break; }
    if (c == 13) {
      if (p + 1 < e && at(p + 1) == 10) { p += 2; done = true; break; }
      if (p + 1 == e) { if (stream != 0) return E_NEED_MORE; p = e; done = true; break; }
    }
    // one header line plus its continuation lines
    le = findLf(p, e);
    if (stream != 0 && le + 1 >= e) return E_NEED_MORE; // cannot tell yet whether the next line folds
    while (le + 1 < e && isWsp(at(le + 1))) le = findLf(le + 1, e);
    const ls = p;
    const lineEnd = le;
    p = le < e ? le + 1 : e;
    if (isWsp(c)) { fail(E_BAD_HEADER); continue; } // continuation with nothing to continue
    const ne = skipTok(ls, lineEnd);
    let q = ne;
    while (q < lineEnd && isWsp(at(q))) q++;
    if (ne == ls || q >= lineEnd || at(q) != 58) { fail(E_BAD_HEADER); continue; }
    const vs = skipLws(q + 1, lineEnd);
    const ve = trimEnd(vs, lineEnd);
    const id = lookupName(ls, ne);
    if (hc < MAX_HEADERS) {
      const hb = HDR_BASE + hc * 5;
      span(hb, ls, ne);
      span(hb + 2, vs, ve);
      put(hb + 4, id);
      hc++;
    } else fail(E_TOO_MANY_HEADERS);
    if (id != 0) onHeader(id, vs, ve);
  }
  if (!done) {
    if (stream != 0) return E_NEED_MORE;
    p = e; // liberal on UDP: a datagram without the blank line ends its headers at its end (baddn)
  }
  put(S_HEADER_COUNT, hc);
  put(S_VIA_COUNT, viaCount);
  put(S_VIA_STORED, viaStored);
  put(S_ROUTE_COUNT, routeCount);
  put(S_HEADER_END, off(p));

  const isReq = get(S_KIND) == 1;
  if (isReq) {
    if (viaCount == 0 || get(S_FROM) == 0 || get(S_TO) == 0 || get(S_CALLID) == 0 || get(S_CSEQ) == 0) fail(E_MISSING_HEADER);
    else {
      const ml = get(S_METHOD + 1);
      if (ml > 0 && (get(S_CSEQ + 3) != ml || !sameBytes(base + <usize>get(S_METHOD), base + <usize>get(S_CSEQ + 2), ml))) fail(E_CSEQ_METHOD);
    }
  }

  const clCount = get(S_CL);
  const cl = get(S_CL + 1);
  const clBad = clCount > 0 && (cl < 0 || get(S_CL + 2) != 0);
  const avail = <i32>(e - p);
  let bodyLen = 0;
  if (stream != 0) {
    if (clBad) { /* framing lost: the caller closes the connection */ }
    else if (clCount == 0) { if (isReq) fail(E_MISSING_CONTENT_LENGTH); }
    else if (cl > avail) return E_NEED_MORE;
    else bodyLen = cl;
  } else {
    if (clBad) { /* nothing trustworthy */ }
    else if (clCount == 0) bodyLen = avail;
    else if (cl > avail) fail(E_BODY_TRUNCATED); // clerr
    else bodyLen = cl; // trailing octets ignored (dblreq)
  }
  put(S_BODY, off(p));
  put(S_BODY + 1, bodyLen);
  const msgLen = off(p) + bodyLen;
  put(S_MSG_LEN, msgLen);
  const consumed = <i32>(base - INPUT) + msgLen;
  pack(msgLen);
  if (err != 0) {
    // On UDP the datagram is spent; on TCP a lost framing spends everything we hold.
    put(S_CONSUMED, stream != 0 && !clBad ? consumed : len);
    put(S_ERROR, err);
    return err;
  }
  put(S_CONSUMED, consumed);
  return consumed;
}
