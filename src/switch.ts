import type { LoadedConfig } from './config/index.js';
import { SipParser, type SipMessage, type ParseResult } from './wasm/sip.js';
import { TimerWheel, TransactionLayer, TransportLayer, timerConfig, type Inbound, type LocalAddress } from './sip/index.js';
import { B2bua, GatewayProber, NetworkPolicy, type CallPolicy, type CallRecord } from './call/index.js';
import { openEngines, type Engines } from './engines.js';
import { PhonePolicy, PhoneService } from './phones/index.js';
import { componentLogger } from './util/log.js';

const log = componentLogger('switch');

const REFUSE_ALL: CallPolicy = {
  ingress: () => null,
  rewriteIngress: () => {},
  authorize: () => ({ ok: false, reason: 'refused', text: 'not started', status: 503 }),
  routeCandidates: () => [],
  rewriteEgress: (c) => ({ callee: c.callee.billed, caller: c.caller.billed }),
  tryNext: () => false,
  failureStatus: () => ({ status: 503 }),
  callEnded: () => {},
};

export interface SwitchCounters {
  parseErrors: number;
  parseErrorsAnswered: number;
}

/** A running softswitch: sockets, transactions, the B2BUA and its policy, assembled from a config. */
export class Softswitch {
  readonly config: LoadedConfig;
  readonly parser: SipParser;
  readonly wheel: TimerWheel;
  readonly transport: TransportLayer;
  readonly tx: TransactionLayer;
  readonly b2bua: B2bua;
  policy: CallPolicy;
  /** Store, CDR journal and accounts (null when a test gives its own policy). */
  engines: Engines | null = null;
  /** Phones and the registrar (null when a test gives its own policy: REGISTER then gets 501). */
  phones: PhoneService | null = null;
  /** OPTIONS probing of routing gateways with probeSeconds > 0. */
  prober: GatewayProber | null = null;
  readonly counters: SwitchCounters = { parseErrors: 0, parseErrorsAnswered: 0 };
  /** Listeners told of every ended call after the policy's callEnded (metrics, admin); they must not throw. */
  readonly onCallEnded: Array<(rec: CallRecord) => void> = [];
  #stopped = false;

  #ownPolicy: boolean;

  constructor(config: LoadedConfig, opts: { policy?: CallPolicy } = {}) {
    this.config = config;
    this.parser = new SipParser();
    this.wheel = new TimerWheel(10);
    this.transport = new TransportLayer({
      listen: config.server.listen,
      parser: this.parser,
      maxMessageBytes: config.server.maxMessageBytes,
      events: {
        onMessage: (msg, src) => this.#onMessage(msg, src),
        onParseError: (r, src) => this.#onParseError(r, src),
      },
    });
    const params = config.paramSet;
    this.tx = new TransactionLayer(this.transport, this.wheel, timerConfig(params.list('SS_SIP_RESEND_INTERVAL')), config.server.userAgent, config.server.udpMtu);
    this.#ownPolicy = !opts.policy;
    // Until start() opens the engines, no call can arrive (no socket is bound yet).
    this.policy = opts.policy ? this.#tap(opts.policy) : REFUSE_ALL;
    this.b2bua = new B2bua({ tx: this.tx, transport: this.transport, wheel: this.wheel, policy: this.policy, params });
  }

  /** Binds every listen address and starts the timers. */
  async start(): Promise<void> {
    if (this.#ownPolicy) {
      this.engines = await openEngines(this.config);
      const e = this.engines;
      const phones = new PhoneService(this.config, () => this.b2bua.params, (id) => e.book.account(id) !== undefined);
      await phones.load(e.store);
      this.phones = phones;
      const policy = new PhonePolicy(this.config, { book: e.book, settings: e.settings, cdr: e.cdr }, phones.registrar);
      this.b2bua.methods.set('REGISTER', (stx) => phones.registrar.onRegister(stx));
      phones.registrar.start();
      this.policy = this.#tap(policy);
      this.b2bua.policy = this.policy;
      this.prober = new GatewayProber(this.config.network.routingGateways, { tx: this.tx, transport: this.transport, wheel: this.wheel, health: policy.health });
    }
    await this.transport.start();
    this.prober?.start();
    this.wheel.start();
    log.info({ listen: this.transport.locals.map((l) => `${l.ip}:${l.port}/${l.transports.join('+')}`) }, 'SIP listening');
  }

  get locals(): readonly LocalAddress[] {
    return this.transport.locals;
  }

  /**
   * Graceful stop: new calls get 503 with Retry-After, active calls may finish for drainMs, the rest
   * are hung up, then the sockets close. Nothing is left listening.
   */
  async stop(drainMs = this.config.server.drainSeconds * 1000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.prober?.stop();
    this.phones?.registrar.stop();
    await this.b2bua.drain(drainMs);
    // Give the BYEs of hung-up calls a moment on the wire before the sockets close.
    if (this.b2bua.calls.size > 0 || drainMs > 0) await new Promise((r) => setTimeout(r, 200));
    this.wheel.stop();
    await this.transport.close();
    if (this.policy instanceof NetworkPolicy) this.policy.close();
    // Flush the journal and drain what the store takes within a few seconds; the rest waits for the next start.
    await this.engines?.close(5000);
  }

  /** Taps a policy's callEnded so observers (onCallEnded) need no policy of their own. */
  #tap<P extends CallPolicy>(policy: P): P {
    const policyEnded = policy.callEnded.bind(policy);
    policy.callEnded = (rec) => {
      // Keep the policy's promise: the BYE that ended the call waits on it (CDR durability).
      const durable = policyEnded(rec);
      for (const l of this.onCallEnded) {
        try {
          l(rec);
        } catch (err) {
          log.error({ err, flowNo: rec.flowNo }, 'onCallEnded listener failed');
        }
      }
      return durable;
    };
    return policy;
  }

  #onMessage(msg: SipMessage, src: Inbound): void {
    try {
      if (msg.isRequest) this.tx.receiveRequest(msg, src);
      else this.tx.receiveResponse(msg, src);
    } catch (err) {
      // A bug in call handling must not take the switch down; the message is lost, not the process.
      log.error({ err, callId: msg.callId, method: msg.method, status: msg.status }, 'message handling failed');
    }
  }

  #onParseError(r: Extract<ParseResult, { ok: false; needMore: false }>, src: Inbound): void {
    this.counters.parseErrors++;
    log.debug({ code: r.code, reason: r.reason, src: src.address }, 'unparseable message');
    if (r.status === 0 || !r.partial || !r.partial.isRequest || r.partial.method === 'ACK') return;
    try {
      this.tx.respondStateless(r.partial, src, r.status, { headers: r.reason ? [['Warning', `399 - "${r.reason.replace(/"/g, "'")}"`]] : undefined });
      this.counters.parseErrorsAnswered++;
    } catch (err) {
      log.debug({ err }, 'could not answer an unparseable message');
    }
  }
}
