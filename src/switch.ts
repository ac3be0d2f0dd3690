import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { deepFreeze, readNetworkRaw, type LoadedConfig, type NetworkConfig, type NetworkEntityKind } from './config/index.js';
import { SipParser, type SipMessage, type ParseResult } from './wasm/sip.js';
import { TimerWheel, TransactionLayer, TransportLayer, timerConfig, type Inbound, type LocalAddress } from './sip/index.js';
import { B2bua, GatewayProber, NetworkPolicy, type CallPolicy, type CallRecord } from './call/index.js';
import type { CompiledRoutes } from './routing/index.js';
import { applyAccounts, openEngines, rateGroupsToLoad, type Engines } from './engines.js';
import { mergeNetwork, RawNetwork, validateNetworkOffThread } from './live-network.js';
import { LiveConfig } from './live-config.js';
import type { NetworkChange } from './store/index.js';
import type { RateGroup } from './billing/index.js';
import { PhonePolicy, PhoneService } from './phones/index.js';
import { componentLogger } from './util/log.js';
import { createError } from './util/errors.js';

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

const noEngines = createError('SSW_ERR_NETWORK_NO_ENGINES', 409);
const storeUnavailable = createError('SSW_ERR_NETWORK_STORE_UNAVAILABLE', 503);

/** What a network swap put in force. */
export interface NetworkSwap {
  /** Generations swapped in since start (the first network is 0). */
  readonly generation: number;
  readonly mappingGateways: number;
  readonly routingGateways: number;
  readonly accounts: number;
}

/** One entity change from the admin API: the body as given (null = delete). */
export interface EntityChange {
  readonly kind: NetworkEntityKind;
  readonly name: string;
  readonly body: Readonly<Record<string, unknown>> | null;
}

interface PreparedNetwork {
  readonly cfg: LoadedConfig;
  readonly groups: RateGroup[];
  readonly policy: NetworkPolicy;
}

export interface SwitchCounters {
  parseErrors: number;
  parseErrorsAnswered: number;
}

/** A running softswitch: sockets, transactions, the B2BUA and its policy, assembled from a config. */
export class Softswitch {
  /** The configuration: the network in force (a network swap replaces it); parameters and server settings in force are in `live`. */
  config: LoadedConfig;
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
  /** The parameters and server settings in force, reloaded live (params.yaml, server.yaml, the admin API). */
  readonly live: LiveConfig;
  /** Listeners told of every ended call after the policy's callEnded (metrics, admin); they must not throw. */
  readonly onCallEnded: Array<(rec: CallRecord) => void> = [];
  #stopped = false;
  #started = false;
  #ownPolicy: boolean;
  /** network.yaml as written when it was last put in force (admin changes are laid over it). */
  #rawNetwork: RawNetwork | null = null;
  #changes: NetworkChange[] = [];
  #queue: Promise<unknown> = Promise.resolve();
  #generation = 0;
  #refused = 0;
  #watcher: FSWatcher | null = null;

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
    this.live = new LiveConfig(this, config);
  }

  /** Binds every listen address and starts the timers. */
  async start(): Promise<void> {
    if (this.#ownPolicy) {
      // The parameters in force: the file's, with the admin API's persisted overrides if applied already.
      this.engines = await openEngines({ ...this.config, paramSet: this.live.params });
      const e = this.engines;
      if (e.network !== this.config.network) this.config = deepFreeze({ ...this.config, network: e.network });
      this.#changes = e.changes;
      this.#rawNetwork = RawNetwork.of(e.rawNetwork ?? readNetworkRaw(this.config.dir));
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
    this.live.attach();
    await this.transport.start();
    this.#started = true;
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
  async stop(drainMs = this.live.server.drainSeconds * 1000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.live.close();
    this.#watcher?.close();
    this.#watcher = null;
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

  /**
   * Re-reads network.yaml, lays the stored admin changes over it, validates the whole, compiles the
   * new routing table and dial plans, then swaps them in at once. A file that does not pass keeps
   * the network in force and throws SSW_ERR_CONFIG_INVALID naming every problem. Calls in progress
   * keep the generation they started with.
   */
  reloadNetwork(): Promise<NetworkSwap> {
    return this.#serial(async () => {
      const { raw, network, routes } = await this.#validate(null, this.#changes);
      const swap = await this.#commit(await this.#prepare(network, routes));
      this.#rawNetwork = raw;
      return swap;
    });
  }

  /**
   * Changes one mapping gateway, routing gateway or account: validated with the whole network as
   * network.yaml would be, stored (so a restart keeps it), then swapped in like a reload.
   */
  changeNetwork(change: EntityChange): Promise<NetworkSwap> {
    return this.#serial(async () => {
      const store = this.engines?.store;
      const raw = this.#rawNetwork ?? RawNetwork.of(readNetworkRaw(this.config.dir));
      const others = this.#changes.filter((c) => c.kind !== change.kind || c.name !== change.name);
      const { network, routes } = await this.#validate(raw, [...others, { ...change, seq: Number.MAX_SAFE_INTEGER }]);
      const prepared = await this.#prepare(network, routes);
      if (!store) {
        prepared.policy.retire();
        throw storeUnavailable('the store is not reachable: a network change is only taken once it is stored');
      }
      let stored: NetworkChange;
      try {
        stored = await store.recordNetworkChange(change);
      } catch (err) {
        prepared.policy.retire();
        throw storeUnavailable(`the change could not be stored: ${(err as Error).message}`);
      }
      const swap = await this.#commit(prepared);
      this.#rawNetwork = raw;
      this.#changes = [...others, stored];
      return swap;
    });
  }

  /** The stored admin changes in force, oldest first. */
  get networkChanges(): readonly NetworkChange[] {
    return this.#changes;
  }

  /** The network document in force as written: network.yaml (as last put in force) with the admin changes merged. */
  get rawNetworkInForce(): Readonly<Record<string, unknown>> {
    return mergeNetwork((this.#rawNetwork ??= RawNetwork.of(readNetworkRaw(this.config.dir))).doc, this.#changes);
  }

  /**
   * Reloads the network when network.yaml changes on disk (editors that replace the file
   * included), 300 ms after the last event; `onResult` hears each outcome.
   */
  watchNetworkFile(onResult: (r: { ok: true; swap: NetworkSwap } | { ok: false; error: Error }) => void): void {
    if (this.#watcher) return;
    let timer: NodeJS.Timeout | null = null;
    this.#watcher = watch(this.config.dir, (_event, file) => {
      if (file !== null && file !== 'network.yaml') return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        this.reloadNetwork().then((swap) => onResult({ ok: true, swap }), (error: Error) => onResult({ ok: false, error }));
      }, 300);
      timer.unref();
    });
    this.#watcher.unref();
  }

  /** Network swaps so far and refused reloads/changes, for metrics. */
  get networkCounters(): { readonly generation: number; readonly refused: number } {
    return { generation: this.#generation, refused: this.#refused };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn).catch((err: unknown) => {
      this.#refused++;
      throw err;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  // Reading and validating a large network, and compiling its trie, take long: a worker thread does them.
  #validate(raw: RawNetwork | null, changes: readonly NetworkChange[]) {
    if (!(this.policy instanceof NetworkPolicy) || !this.engines) throw noEngines('this switch runs without the routing/billing engines');
    return validateNetworkOffThread({ dir: this.config.dir, raw, changes, source: join(this.config.dir, 'network.yaml'), listen: this.config.server.listen });
  }

  // Everything else that can fail, with nothing in force touched: rate decks, dial plans, the
  // routing table; built in slices so calls keep flowing meanwhile.
  async #prepare(network: NetworkConfig, routes: CompiledRoutes): Promise<PreparedNetwork> {
    const current = this.policy;
    if (!(current instanceof NetworkPolicy) || !this.engines) throw noEngines('this switch runs without the routing/billing engines');
    // The rest of the config is frozen already and the network came frozen: no second deep walk.
    const cfg = Object.freeze({ ...this.config, network });
    const groups = await rateGroupsToLoad(this.engines.book, cfg.dir, network.accounts);
    return { cfg, groups, policy: await current.nextAsync(cfg, routes) };
  }

  async #commit(p: PreparedNetwork): Promise<NetworkSwap> {
    const old = this.policy as NetworkPolicy;
    await applyAccounts(this.engines!, p.groups, this.config.network.accounts, p.cfg.network.accounts);
    this.config = p.cfg;
    this.policy = this.#tap(p.policy);
    this.b2bua.policy = this.policy;
    old.retire();
    this.prober?.stop();
    this.prober = new GatewayProber(p.cfg.network.routingGateways, { tx: this.tx, transport: this.transport, wheel: this.wheel, health: p.policy.health });
    if (this.#started && !this.#stopped) this.prober.start();
    const n = p.cfg.network;
    const swap = { generation: ++this.#generation, mappingGateways: n.mappingGateways.length, routingGateways: n.routingGateways.length, accounts: n.accounts.length };
    log.info(swap, 'network swapped in');
    return swap;
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
