// The shared RFC 4475 corpus (never copied into the repo): its cases, a sender that plays the
// messages to a running switch, and the judge of each answer against EXPECTED.tsv.
import dgram from 'node:dgram';
import { readFileSync, readdirSync } from 'node:fs';
import sip from 'sip';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export interface TortureCase {
  readonly name: string; readonly section: string; readonly bytes: Buffer; readonly msgType: string; readonly validity: string;
  readonly accept: readonly string[]; readonly extra: string;
}

export function tortureDir(): string {
  return process.env.SSW_TORTURE_DIR ?? fileURLToPath(new URL('../../../../shared/sip-torture/', import.meta.url));
}

/** Every .dat file with its EXPECTED.tsv row. */
export function loadTorture(): TortureCase[] {
  const dir = tortureDir();
  const rows = readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const byName = new Map(rows.map((r) => [r[0]!, r]));
  return readdirSync(dir).filter((f) => f.endsWith('.dat')).sort().map((f) => {
    const name = f.slice(0, -4);
    const r = byName.get(name);
    if (!r) throw new Error(`no EXPECTED.tsv row for ${f}`);
    return { name, section: r[1]!, bytes: readFileSync(join(dir, f)), msgType: r[3]!, validity: r[4]!, accept: r[5]!.split(','), extra: r[7] ?? '' };
  });
}

/** A response the torture sender got back. */
export interface Got { status: number; callId: string; raw: string }

/**
 * Sends torture messages over UDP from 127.0.0.1 and collects what comes back. The messages'
 * Vias name no rport, so responses go to the sent-by ports: 5060 and 5050 are listened on.
 */
export class TortureSender {
  readonly got: Got[] = [];
  #sockets: dgram.Socket[] = [];

  async open(): Promise<void> {
    for (const port of [5060, 5050]) {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(port, '127.0.0.1', () => resolve());
      });
      s.on('message', (b) => {
        const raw = b.toString('latin1');
        try {
          const m = sip.parse(raw);
          if (m && m.status) this.got.push({ status: m.status, callId: m.headers['call-id'], raw });
        } catch {
          this.got.push({ status: -1, callId: '', raw });
        }
      });
      this.#sockets.push(s);
    }
  }

  close(): void {
    for (const s of this.#sockets.splice(0)) s.close();
  }

  /** Sends `bytes` to the switch; resolves with the statuses of the responses on its Call-ID. */
  async send(bytes: Buffer, to: string, silent: boolean): Promise<number[]> {
    const callId = callIdOf(bytes);
    // A message without a Call-ID is told by its branch (other calls' answers may be arriving).
    const branch = callId ? '' : /branch=([^;\s,]+)/i.exec(bytes.toString('latin1'))?.[1] ?? '';
    const start = this.got.length;
    const mine = () => this.got.slice(start).filter((g) => (callId ? g.callId === callId : !branch || g.raw.includes(branch)));
    this.#sockets[0]!.send(bytes, 5060, to);
    const deadline = Date.now() + (silent ? 400 : 2500);
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (mine().some((g) => g.status >= 200) || Date.now() > deadline) {
        if (!silent) await new Promise((r) => setTimeout(r, 50));
        return mine().map((g) => g.status);
      }
    }
  }
}

export function callIdOf(bytes: Buffer): string {
  const m = /^(?:call-id|i)[ \t]*:[ \t]*(\S+)/im.exec(bytes.toString('latin1'));
  return m ? m[1]! : '';
}

/** Whether a new INVITE (no To tag) is among the message's kinds: its "processed" shows at the carrier. */
export function isNewInvite(bytes: Buffer): boolean {
  const text = bytes.toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  return /^INVITE /.test(text) && !/^(?:to|t)[ \t]*:.*;[ \t]*tag[ \t]*=/im.test(text);
}

/**
 * Judges the statuses a case got against its EXPECTED.tsv row; null when the treatment is right,
 * else what was wrong. `reachedCarrier` says whether a new INVITE went on to the carrier.
 */
export function judge(c: TortureCase, statuses: number[], got: readonly Got[], reachedCarrier: boolean): string | null {
  if (c.accept.includes('SILENT')) return statuses.length === 0 ? null : `a stray or invalid response was answered: ${statuses.join(',')}`;
  if (c.extra.startsWith('forbid_callid=')) {
    const forbidden = c.extra.slice('forbid_callid='.length);
    if (got.some((g) => g.callId === forbidden)) return 'the trailing octets were answered';
  }
  const finals = statuses.filter((s) => s >= 200);
  if (finals.length === 0) return c.accept.includes('NONE') ? null : `no final response; expected ${c.accept.join('/')}`;
  const f = finals[0]!;
  const ok = c.accept.some((a) => {
    if (a === '4xx') return f >= 400 && f < 500;
    if (/^\d{3}$/.test(a)) return f === Number(a);
    if (a === 'PROC') {
      if (f === 400 || f === 505 || (f >= 500 && f !== 501 && f !== 503)) return false;
      return isNewInvite(c.bytes) ? reachedCarrier : true;
    }
    return false;
  });
  return ok ? null : `final ${f} is not among ${c.accept.join('/')}`;
}
