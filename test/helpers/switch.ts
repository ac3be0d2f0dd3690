import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { Softswitch } from '../../src/switch.js';
import { StaticPolicy, type CallRecord } from '../../src/call/index.js';

export interface TestCarrier {
  name: string;
  address: string;
  port: number;
  priority?: number;
  prefixes?: string[];
  transport?: 'udp' | 'tcp';
  /** The switch's own address the calls to this carrier leave from. */
  localIp?: string;
  sessionTimer?: boolean;
  timeouts?: Partial<Record<'invite' | 'trying' | 'sessionProgress' | 'sessionProgressSdp' | 'ringing', number>>;
}

export interface TestNetwork {
  ip: string;
  port?: number;
  transports?: Array<'udp' | 'tcp'>;
  /** More listen addresses after the first (a server owning several local IPs). */
  moreListen?: Array<{ ip: string; port: number; transports: Array<'udp' | 'tcp'> }>;
  customers: Array<{ name: string; ips: string[]; sessionTimer?: boolean }>;
  carriers: TestCarrier[];
  params?: Record<string, unknown>;
  drainSeconds?: number;
  maxMessageBytes?: number;
}

/** Writes a config folder for a test network; returns its path (caller removes it). */
export function writeConfig(n: TestNetwork): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-test-'));
  writeFileSync(join(dir, 'server.yaml'), stringify({
    listen: [{ ip: n.ip, port: n.port ?? 5060, transports: n.transports ?? ['udp', 'tcp'] }, ...(n.moreListen ?? [])],
    drainSeconds: n.drainSeconds ?? 0,
    // Port 0: spawned test switches never fight over the admin port 8080.
    adminPort: 0,
    maxMessageBytes: n.maxMessageBytes ?? 65535,
    dataDir: join(dir, 'data'),
    dbUrl: `sqlite:${join(dir, 'data', 'ssw.db')}`,
  }));
  writeFileSync(join(dir, 'params.yaml'), stringify(n.params ?? {}) || '{}\n');
  writeFileSync(join(dir, 'network.yaml'), stringify({
    accounts: [{ id: 'acc', name: 'test', prepaid: false, balance: '100.00' }],
    mappingGateways: n.customers.map((c) => ({ name: c.name, remoteIps: c.ips, account: 'acc', ...(c.sessionTimer === false ? { sessionTimer: false } : {}) })),
    routingGateways: n.carriers.map((c, i) => ({
      name: c.name, id: i + 1, address: c.address, port: c.port, transport: c.transport ?? 'udp',
      prefixes: c.prefixes ?? ['*'], priority: c.priority ?? i + 1, ...(c.localIp ? { localIp: c.localIp } : {}), ...(c.sessionTimer === false ? { sessionTimer: false } : {}),
      timeouts: { invite: 0, trying: 0, sessionProgress: 0, sessionProgressSdp: 0, ringing: 0, ...(c.timeouts ?? {}) },
    })),
  }));
  return dir;
}

export interface RunningSwitch {
  sw: Softswitch;
  ended: CallRecord[];
  dir: string;
  /** Resolves with the next ended call record (or one that ended already and was not taken). */
  nextEnded(timeoutMs?: number): Promise<CallRecord>;
  stop(): Promise<void>;
}

/** Starts a switch in this process on a test network. */
export async function startSwitch(n: TestNetwork): Promise<RunningSwitch> {
  const dir = writeConfig(n);
  const cfg = loadConfig(dir, { env: {} });
  const policy = new StaticPolicy(cfg);
  const sw = new Softswitch(cfg, { policy });
  const ended: CallRecord[] = [];
  let taken = 0;
  const waiters: Array<(r: CallRecord) => void> = [];
  policy.onEnded = (r) => {
    ended.push(r);
    const w = waiters.shift();
    if (w) {
      taken++;
      w(r);
    }
  };
  await sw.start();
  return {
    sw, ended, dir,
    nextEnded(timeoutMs = 5000) {
      if (taken < ended.length) return Promise.resolve(ended[taken++]!);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no call ended in time')), timeoutMs);
        waiters.push((r) => {
          clearTimeout(t);
          resolve(r);
        });
      });
    },
    async stop() {
      await sw.stop(0);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const RATE_DECK_HEADER = 'prefix,area_name,call_type,rate,first_period,next_period,connection_fee,sections,effective_from,locked\n';

/**
 * Writes a config folder for a switch with the full engines: one listen address, the store in the
 * folder's data/ (or `dbUrl`), a network.yaml as given, params.yaml overrides, and rate decks as `rates/<group>.csv`.
 */
export function writeNetworkConfig(o: { ip: string; network: object; rates?: Record<string, string>; dbUrl?: string; transports?: Array<'udp' | 'tcp'>; params?: Record<string, unknown> }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ssw-net-'));
  writeFileSync(join(dir, 'server.yaml'), stringify({
    listen: [{ ip: o.ip, port: 5060, transports: o.transports ?? ['udp'] }], drainSeconds: 0, adminPort: 0,
    dataDir: join(dir, 'data'), dbUrl: o.dbUrl ?? `sqlite:${join(dir, 'data', 'ssw.db')}`,
  }));
  writeFileSync(join(dir, 'params.yaml'), o.params ? stringify(o.params) : '{}\n');
  writeFileSync(join(dir, 'network.yaml'), stringify(o.network));
  if (o.rates) {
    mkdirSync(join(dir, 'rates'));
    for (const [name, rows] of Object.entries(o.rates)) writeFileSync(join(dir, 'rates', `${name}.csv`), RATE_DECK_HEADER + rows);
  }
  return dir;
}
