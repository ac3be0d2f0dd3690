// A phone for tests: the npm `sip` package as the UA, with the digest response computed here
// (RFC 2617 qop=auth), not by any code of the switch.
import { createHash, randomBytes } from 'node:crypto';
import { uniq, type SipMsg, type Ua } from '../helpers/sip-ua.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const unq = (s: string | undefined) => (s ?? '').replace(/^"|"$/g, '');

/** The npm sip form of an Authorization / Proxy-Authorization value answering `challenge`. */
export function answer(challenge: Record<string, string>, user: string, password: string, method: string, uri: string, nonce?: string, nc = '00000001'): Record<string, string> {
  const realm = unq(challenge.realm);
  const n = nonce ?? unq(challenge.nonce);
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${n}:${nc}:${cnonce}:auth:${ha2}`);
  return { scheme: 'Digest', username: `"${user}"`, realm: `"${realm}"`, nonce: `"${n}"`, uri: `"${uri}"`, response: `"${response}"`, algorithm: 'MD5', qop: 'auth', nc, cnonce: `"${cnonce}"` };
}

export interface RegisterOpts {
  user: string;
  aor: string;
  contact: string;
  expires?: number;
  /** Contact value `*` (with expires 0: remove every binding). */
  star?: boolean;
  callId?: string;
  cseq?: number;
  authorization?: Record<string, string>;
}

/** Sends one REGISTER and resolves with its final response. */
export function register(ua: Ua, sw: string, o: RegisterOpts): Promise<SipMsg> {
  const uri = `sip:${sw}`;
  const m: SipMsg = {
    method: 'REGISTER',
    uri,
    headers: {
      to: { uri: `sip:${o.aor}@${sw}` },
      from: { uri: `sip:${o.aor}@${sw}`, params: { tag: uniq('rt') } },
      'call-id': o.callId ?? uniq('reg'),
      cseq: { method: 'REGISTER', seq: o.cseq ?? 1 },
      contact: o.star ? '*' : [{ uri: o.contact }],
      'max-forwards': 70,
    },
  };
  if (o.expires !== undefined) m.headers.expires = o.expires;
  if (o.authorization) m.headers.authorization = [o.authorization];
  return new Promise((resolve) => ua.send(m, (rs: SipMsg) => { if (rs.status >= 200) resolve(rs); }));
}

/** REGISTER, answer the 401 with the password, resolve with the final response of the second REGISTER. */
export async function registerWithAuth(ua: Ua, sw: string, o: RegisterOpts & { password: string }): Promise<{ first: SipMsg; final: SipMsg }> {
  const callId = o.callId ?? uniq('reg');
  const first = await register(ua, sw, { ...o, callId, cseq: 1 });
  if (first.status !== 401) return { first, final: first };
  const ch = first.headers['www-authenticate'][0];
  const final = await register(ua, sw, { ...o, callId, cseq: 2, authorization: answer(ch, o.user, o.password, 'REGISTER', `sip:${sw}`) });
  return { first, final };
}

/** Sends an INVITE (object from helpers' invite()) and resolves with its final response. */
export function sendInvite(ua: Ua, inv: SipMsg): Promise<SipMsg> {
  return new Promise((resolve) => ua.send(inv, (rs: SipMsg) => { if (rs.status >= 200) resolve(rs); }));
}
