import type { RoutingGateway } from '../config/types.js';
import { newBranch, newCallId, newTag, type ClientTransaction, type TransactionLayer, type TransportLayer, type Timer, type TimerWheel } from '../sip/index.js';
import type { GatewayHealth } from '../routing/index.js';
import { componentLogger } from '../util/log.js';
import { monotonicMs } from '../util/time.js';
import { SliceClock } from '../util/slices.js';
import { hostport } from './call.js';

const log = componentLogger('prober');

/** Longest wait for a probe's answer (a carrier slower than this counts as not answering). */
const PROBE_TIMEOUT_MS = 5000;

interface Probe {
  readonly gw: RoutingGateway;
  timer: Timer | null;
  tx: ClientTransaction | null;
  cseq: number;
  readonly callId: string;
  readonly tag: string;
}

/**
 * OPTIONS keep-alive probing of routing gateways (those with probeSeconds > 0). Each answer, or
 * its absence within the interval (at most 5 s), is reported to GatewayHealth, which takes a
 * carrier out of routing and puts it back; every change is logged.
 */
export class GatewayProber {
  readonly #gateways: readonly RoutingGateway[];
  readonly #probes: Probe[] = [];
  #running = false;
  readonly #tx: TransactionLayer;
  readonly #transport: TransportLayer;
  readonly #wheel: TimerWheel;
  readonly #health: GatewayHealth;
  /** Probes sent and answered, for metrics. */
  sent = 0;
  answered = 0;

  constructor(gateways: readonly RoutingGateway[], deps: { tx: TransactionLayer; transport: TransportLayer; wheel: TimerWheel; health: GatewayHealth }) {
    this.#tx = deps.tx;
    this.#transport = deps.transport;
    this.#wheel = deps.wheel;
    this.#health = deps.health;
    this.#gateways = gateways;
  }

  /**
   * Sends every probed gateway its first OPTIONS, in slices of the event loop's time: a reload of
   * 10,000 probed carriers would otherwise hold the loop for 0.2-0.4 s sending them at once.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#startSliced();
  }

  async #startSliced(): Promise<void> {
    const clock = new SliceClock();
    for (const gw of this.#gateways) {
      if (!this.#running) return;
      if (gw.probeSeconds <= 0 || gw.locked) continue;
      const p: Probe = { gw, timer: null, tx: null, cseq: 0, callId: newCallId(this.#transport.localFor(gw.localIp || undefined).ip), tag: newTag() };
      this.#probes.push(p);
      this.#send(p);
      if (clock.due) await clock.yieldNow();
    }
  }

  stop(): void {
    this.#running = false;
    for (const p of this.#probes) {
      this.#wheel.cancel(p.timer);
      p.tx?.terminate();
      p.timer = null;
    }
  }

  #send(p: Probe): void {
    const gw = p.gw;
    const local = this.#transport.localFor(gw.localIp || undefined);
    const hp = hostport(gw.address, gw.port);
    const tp = gw.transport === 'tcp' ? ';transport=tcp' : '';
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      this.#wheel.cancel(p.timer);
      if (ok) this.answered++;
      this.#health.report(gw.id, ok, monotonicMs());
      if (this.#running) p.timer = this.#wheel.schedule(gw.probeSeconds * 1000, (x: Probe) => this.#send(x), p);
    };
    this.sent++;
    p.tx = this.#tx.sendRequest({
      method: 'OPTIONS', uri: `sip:${hp}${tp}`,
      via: `SIP/2.0/${gw.transport === 'tcp' ? 'TCP' : 'UDP'} ${hostport(local.ip, local.port)};branch=${newBranch()};rport`,
      from: `<sip:ping@${hostport(local.ip, local.port)}>;tag=${p.tag}`, to: `<sip:${hp}>`, callId: p.callId, cseq: ++p.cseq,
      routes: [], maxForwards: 70, headers: [['Accept', 'application/sdp']],
    }, { transport: gw.transport, address: gw.address, port: gw.port }, local, {
      // Any final answer means the carrier's SIP stack is alive; 503 means it asks not to be used.
      onResponse: (_tx, rs) => { if (rs.status >= 200) finish(rs.status !== 503); },
      onTimeout: () => finish(false),
    });
    const wait = Math.min(PROBE_TIMEOUT_MS, gw.probeSeconds * 1000);
    p.timer = this.#wheel.schedule(wait, () => {
      p.tx?.terminate();
      finish(false);
    }, p);
  }
}

/** The log line of a health change (one per flip). */
export function logHealthChange(name: string, up: boolean): void {
  if (up) log.warn({ gateway: name }, 'routing gateway answers OPTIONS again: back in routing');
  else log.warn({ gateway: name }, 'routing gateway stopped answering OPTIONS: taken out of routing');
}
