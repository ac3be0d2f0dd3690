// Digest pieces checked against RFC 2617's own worked example and against hand-made values;
// Contact parsing of the forms REGISTER takes; malformed input never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { NonceBook, expectedResponse, parseDigest, ha1Of } from '../../src/phones/index.js';
import { responseMatches } from '../../src/phones/digest.js';
import { parseContacts } from '../../src/phones/contact.js';
import { uriHostPort } from '../../src/sip/index.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('RFC 2617 §3.5 example: Mufasa / Circle Of Life gives 6629fae49393a05397450978507c4ef1', () => {
  const c = parseDigest('Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"');
  assert.ok(c);
  assert.equal(c.username, 'Mufasa');
  assert.equal(c.qop, 'auth');
  assert.equal(c.nc, '00000001');
  const ha1 = ha1Of('Mufasa', 'Circle Of Life', 'testrealm@host.com');
  assert.equal(expectedResponse(ha1, 'GET', c), '6629fae49393a05397450978507c4ef1');
  assert.ok(responseMatches(ha1, 'GET', c));
  assert.ok(!responseMatches(ha1, 'POST', c), 'the method is part of the response');
  assert.ok(!responseMatches(ha1Of('Mufasa', 'wrong', 'testrealm@host.com'), 'GET', c));
});

test('without qop (RFC 2069 form) the response is MD5(HA1:nonce:HA2)', () => {
  const c = parseDigest('Digest username="u",realm="r",nonce="n",uri="sip:x",response="' + md5(`${md5('u:r:p')}:n:${md5('REGISTER:sip:x')}`) + '"');
  assert.ok(c);
  assert.ok(responseMatches(md5('u:r:p'), 'REGISTER', c));
});

test('parseDigest refuses what is not a complete digest, and never throws', () => {
  assert.equal(parseDigest('Basic dXNlcjpwYXNz'), null);
  assert.equal(parseDigest('Digest username="u", realm="r"'), null);
  assert.equal(parseDigest(''), null);
  fc.assert(fc.property(fc.string(), (s) => {
    const r = parseDigest(`Digest ${s}`);
    assert.ok(r === null || typeof r.username === 'string');
  }), { numRuns: 2000 });
});

test('a response for another algorithm or qop is refused', () => {
  const base = 'Digest username="u",realm="r",nonce="n",uri="sip:x",response="00000000000000000000000000000000",nc=00000001,cnonce="c"';
  assert.ok(!responseMatches(md5('u:r:p'), 'REGISTER', parseDigest(`${base},algorithm=SHA-256,qop=auth`)!));
  assert.ok(!responseMatches(md5('u:r:p'), 'REGISTER', parseDigest(`${base},qop=auth-int`)!));
});

test('nonces: ok within the lifetime, stale after it, bad when forged, foreign or from the future', () => {
  const book = new NonceBook();
  const n = book.issue(100_000);
  assert.equal(book.check(n, 100_000, 300_000), 'ok');
  assert.equal(book.check(n, 399_999, 300_000), 'ok');
  assert.equal(book.check(n, 400_001, 300_000), 'stale');
  assert.equal(new NonceBook().check(n, 100_000, 300_000), 'bad', 'another process (secret) issued it');
  const [body, sig] = n.split('.');
  const [ts, serial] = body!.split('-');
  assert.equal(book.check(`${(parseInt(ts!, 36) + 1).toString(36)}-${serial}.${sig}`, 100_000, 300_000), 'bad', 'the timestamp is signed');
  assert.notEqual(book.issue(100_000), book.issue(100_000), 'two challenges in one millisecond get different nonces');
  assert.equal(book.check(book.issue(500_000), 100_000, 300_000), 'bad');
  assert.equal(book.check('', 0, 1), 'bad');
  assert.equal(book.check('no-dot', 0, 1), 'bad');
});

test('Contact: several values and comma lists, expires and q params, `*`, and malformed forms', () => {
  const r = parseContacts(['"A, B" <sip:a@1.2.3.4:5060;transport=udp>;expires=60;q=0.5, sip:b@5.6.7.8', '<sips:c@[::1]:5061>']);
  assert.ok(r && !r.star);
  assert.deepEqual(r.contacts.map((c) => [c.uri, c.expires, c.q]), [
    ['sip:a@1.2.3.4:5060;transport=udp', 60, '0.5'],
    ['sip:b@5.6.7.8', -1, ''],
    ['sips:c@[::1]:5061', -1, ''],
  ]);
  assert.deepEqual(parseContacts(['*']), { star: true });
  assert.equal(parseContacts(['*, <sip:a@b>']), null, '* must stand alone');
  assert.equal(parseContacts(['<sip:a@b']), null);
  assert.equal(parseContacts(['<http://x>']), null);
  assert.deepEqual(parseContacts([]), { star: false, contacts: [] });
  assert.deepEqual(uriHostPort('sip:u@[2001:db8::1]:5070;x=y'), { host: '2001:db8::1', port: 5070 });
  assert.deepEqual(uriHostPort('sip:host.example'), { host: 'host.example', port: 0 });
  fc.assert(fc.property(fc.array(fc.string(), { maxLength: 3 }), (vs) => {
    parseContacts(vs);
  }), { numRuns: 2000 });
});
