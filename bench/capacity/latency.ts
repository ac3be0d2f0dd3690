// The switch's own delay, measured on the wire: dumpcap (from the tshark package) captures, on
// `lo`, only datagrams whose payload starts with "INVITE" or "SIP/2.0 100 " on the bench ports;
// we read the pcap ourselves (decoding 100,000 frames with tshark would cost more CPU than the
// switch). INVITE in -> first INVITE out is matched by the unique 7-digit tail of the callee,
// which survives both dial plans; INVITE in -> 100 Trying out by Call-ID.
import { type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { spawnTracked, stopProcess } from './procs.js';

export interface Capture {
  readonly child: ChildProcess;
  readonly file: string;
  ready: Promise<void>;
}

/** Starts dumpcap on lo for at most `seconds`, filtered to INVITEs and 100s on `ports`. */
export function startCapture(file: string, ports: number[], seconds: number): Capture {
  const portExpr = ports.map((p) => `port ${p}`).join(' or ');
  // udp[8:4] is the first 4 payload bytes: "INVI" = 0x494e5649, "SIP/" = 0x5349502f; bytes 8-11 of
  // the payload "100 " = 0x31303020 make it a 100 Trying.
  const filter = `udp and (${portExpr}) and (udp[8:4]=0x494e5649 or (udp[8:4]=0x5349502f and udp[16:4]=0x31303020))`;
  const child = spawnTracked('dumpcap', 'dumpcap', ['-i', 'lo', '-P', '-q', '-f', filter, '-a', `duration:${seconds}`, '-B', '64', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const ready = new Promise<void>((resolve) => {
    // dumpcap says "Capturing on" on stderr once the filter is installed.
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('Capturing on')) resolve();
    });
    child.once('exit', () => resolve());
    setTimeout(resolve, 3000);
  });
  return { child, file, ready };
}

/** Stops the capture (SIGINT lets dumpcap flush) and waits for it. */
export async function stopCapture(c: Capture): Promise<void> {
  await stopProcess(c.child, 'SIGINT', 3000);
}

export interface SwitchDelays {
  /** INVITE in -> first INVITE out to a carrier, in ms. */
  readonly inviteMs: number[];
  /** INVITE in -> 100 Trying out to the customer, in ms. */
  readonly tryingMs: number[];
  readonly invitesIn: number;
  readonly unmatched: number;
}

interface Frame { t: number; sport: number; dport: number; text: string }

function* frames(buf: Buffer): Generator<Frame> {
  if (buf.length < 24) return;
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20);
  // Link header before IPv4: Ethernet (1) 14 bytes, Linux cooked (113) 16, cooked v2 (276) 20, raw (101) 0.
  const l2 = link === 1 ? 14 : link === 113 ? 16 : link === 276 ? 20 : link === 101 ? 0 : -1;
  if (l2 < 0) return;
  let o = 24;
  while (o + 16 <= buf.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const p = o + 16;
    o = p + incl;
    if (o > buf.length) break;
    const ip = p + l2;
    if ((buf[ip]! >> 4) !== 4) continue;
    const ihl = (buf[ip]! & 0x0f) * 4; // IPv4 header length is in 32-bit words
    const udp = ip + ihl;
    const sport = buf.readUInt16BE(udp);
    const dport = buf.readUInt16BE(udp + 2);
    const t = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    yield { t, sport, dport, text: buf.toString('latin1', udp + 8, Math.min(o, udp + 8 + 1500)) };
  }
}

const header = (text: string, name: string, short: string): string | null => {
  const m = new RegExp(`^(?:${name}|${short})[ \\t]*:[ \\t]*(.*)$`, 'im').exec(text);
  return m ? m[1]!.trim() : null;
};

/**
 * Reads a capture: INVITEs to `switchPort` are "in", INVITEs from it are "out", 100s from it to
 * the customer are its Trying. Only calls whose INVITE-in was captured count.
 */
export function switchDelays(file: string, switchPort: number): SwitchDelays {
  if (!existsSync(file)) return { inviteMs: [], tryingMs: [], invitesIn: 0, unmatched: 0 };
  const buf = readFileSync(file);
  const inByTail = new Map<string, number>();
  const inByCallId = new Map<string, number>();
  const inviteMs: number[] = [];
  const tryingMs: number[] = [];
  let invitesIn = 0;
  for (const f of frames(buf)) {
    if (f.text.startsWith('INVITE ')) {
      const user = /^INVITE sip:([^@;>\s]+)@/.exec(f.text)?.[1] ?? '';
      const tail = user.slice(-7);
      if (f.dport === switchPort) {
        // A retransmitted INVITE keeps the first arrival time.
        const cid = header(f.text, 'Call-ID', 'i');
        if (cid && !inByCallId.has(cid)) {
          invitesIn++;
          inByCallId.set(cid, f.t);
          inByTail.set(tail, f.t);
        }
      } else if (f.sport === switchPort) {
        const t0 = inByTail.get(tail);
        if (t0 !== undefined) {
          inviteMs.push(f.t - t0);
          inByTail.delete(tail); // only the first carrier attempt counts
        }
      }
    } else if (f.sport === switchPort) {
      const cid = header(f.text, 'Call-ID', 'i');
      const t0 = cid ? inByCallId.get(cid) : undefined;
      // The customer's leg keeps the customer's Call-ID; the carrier's 100s have the switch's.
      if (t0 !== undefined && cid) {
        tryingMs.push(f.t - t0);
        inByCallId.delete(cid);
      }
    }
  }
  return { inviteMs, tryingMs, invitesIn, unmatched: invitesIn - inviteMs.length };
}
