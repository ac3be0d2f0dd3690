import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Softswitch } from '../switch.js';
import { NetworkPolicy, type CallRecord } from '../call/index.js';
import { ALL_REFUSALS } from '../billing/index.js';
import { PHONE_GATEWAY_PREFIX } from '../phones/index.js';
import { METRIC_DEFS, DEFAULT_METRICS_PREFIX, type MetricDef } from './catalog.js';

/** Methods that get their own label value; anything else (extension methods, junk) is OTHER. */
const METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'UPDATE', 'INFO', 'REFER', 'NOTIFY', 'SUBSCRIBE', 'MESSAGE', 'PUBLISH']);
/** Refusal texts that may be a label value (a bounded set); any other text counts as "other". */
const REFUSAL_REASONS = new Set<string>([...ALL_REFUSALS.map((r) => r.reason), 'Account not found', 'Account locked']);
/** Event-loop delay is summarised over windows of this length, so a stall shows and then clears. */
const EVENT_LOOP_WINDOW_MS = 10_000;

export interface EventLoopDelay {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface MetricsOptions {
  /** Collect prom-client's default process metrics (ssw_process_*, ssw_nodejs_*). Default true. */
  readonly processMetrics?: boolean;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * The switch's Prometheus registry: call and gateway counters fed by onCallEnded, SIP and
 * transaction counters read from the switch at scrape time, and handles other rooms use to
 * report (admin auth failures). One per Softswitch; close() detaches it.
 */
export class SswMetrics {
  readonly registry = new Registry();
  readonly #sw: Softswitch;
  readonly #m = new Map<string, AnyMetric>();
  /** Last absolute value pushed into each counter series that mirrors a switch counter. */
  readonly #last = new Map<string, number>();
  readonly #loop: IntervalHistogram;
  #loopWindow: EventLoopDelay | null = null;
  readonly #loopTimer: NodeJS.Timeout;
  readonly #listener: (rec: CallRecord) => void;

  constructor(sw: Softswitch, opts: MetricsOptions = {}) {
    this.#sw = sw;
    const collectors = this.#collectors();
    for (const d of METRIC_DEFS) this.#m.set(d.name, this.#create(d, collectors[d.name]));
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: DEFAULT_METRICS_PREFIX });
    this.#loop = monitorEventLoopDelay({ resolution: 10 });
    this.#loop.enable();
    this.#loopTimer = setInterval(() => {
      this.#loopWindow = summarise(this.#loop);
      this.#loop.reset();
    }, EVENT_LOOP_WINDOW_MS);
    this.#loopTimer.unref();
    // Zero series for every configured carrier, so rate() and ASR work from the first call.
    for (const gw of sw.config.network.routingGateways) {
      this.counter('ssw_gateway_attempts_total').inc({ routing_gateway: gw.name }, 0);
      this.counter('ssw_gateway_answers_total').inc({ routing_gateway: gw.name }, 0);
      this.counter('ssw_gateway_short_calls_total').inc({ routing_gateway: gw.name }, 0);
    }
    this.#listener = (rec) => this.#callEnded(rec);
    sw.onCallEnded.push(this.#listener);
  }

  /**
   * Prometheus text exposition of every metric, the same bytes as registry.metrics(). One metric
   * at a time with a macrotask between, so a scrape of thousands of series never stalls the
   * thread that owns SIP for longer than its largest metric takes.
   */
  async text(): Promise<string> {
    const parts: string[] = [];
    for (const m of this.registry.getMetricsAsArray()) {
      parts.push(await this.registry.getSingleMetricAsString(m.name));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return `${parts.join('\n\n')}\n`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A counter from the catalog by name (throws on a name that is not a counter: a programming error). */
  counter(name: string): Counter<string> {
    const m = this.#m.get(name);
    if (!(m instanceof Counter)) throw new Error(`${name} is not a counter in the metrics catalog`);
    return m;
  }

  /** A histogram from the catalog by name. */
  histogram(name: string): Histogram<string> {
    const m = this.#m.get(name);
    if (!(m instanceof Histogram)) throw new Error(`${name} is not a histogram in the metrics catalog`);
    return m;
  }

  /** Counts an admin request refused for auth: reason missing | invalid | read-only. */
  adminAuthFailure(reason: 'missing' | 'invalid' | 'read-only'): void {
    this.counter('ssw_admin_auth_failures_total').inc({ reason });
  }

  /** CDRs journaled and not yet in the store (0 when the switch runs without engines). */
  cdrQueueDepth(): number {
    return this.#sw.engines?.cdr.depth ?? 0;
  }

  /** Event-loop delay of the last complete window (the running one before the first window ends). */
  eventLoopDelay(): EventLoopDelay {
    return this.#loopWindow ?? summarise(this.#loop);
  }

  /** Detaches from the switch and stops the event-loop monitor. */
  close(): void {
    clearInterval(this.#loopTimer);
    this.#loop.disable();
    const i = this.#sw.onCallEnded.indexOf(this.#listener);
    if (i >= 0) this.#sw.onCallEnded.splice(i, 1);
    this.registry.clear();
  }

  #create(d: MetricDef, collect: (() => void) | undefined): AnyMetric {
    const base = { name: d.name, help: d.help, labelNames: [...d.labels], registers: [this.registry] };
    const withCollect = collect ? { ...base, collect } : base;
    switch (d.type) {
      case 'counter':
        return new Counter(withCollect);
      case 'gauge':
        return new Gauge(withCollect);
      case 'histogram':
        return new Histogram({ ...withCollect, buckets: [...(d.buckets ?? [])] });
    }
  }

  /** Mirrors an absolute switch counter into a prom-client counter series (counters only go up). */
  #sync(name: string, labels: Record<string, string>, value: number): void {
    const key = `${name}\u0000${Object.values(labels).join('\u0000')}`;
    const last = this.#last.get(key) ?? 0;
    const c = this.counter(name);
    if (value > last) {
      c.inc(labels, value - last);
      this.#last.set(key, value);
    } else if (!this.#last.has(key)) {
      c.inc(labels, 0);
      this.#last.set(key, value);
    }
  }

  #collectors(): Record<string, () => void> {
    const sw = this.#sw;
    const gauge = (name: string) => this.#m.get(name) as Gauge<string>;
    return {
      ssw_call_active: () => gauge('ssw_call_active').set(sw.b2bua.calls.size),
      ssw_phone_register_total: () => {
        const c = sw.phones?.registrar.counters.register;
        if (c) for (const [result, n] of Object.entries(c)) this.#sync('ssw_phone_register_total', { result }, n);
      },
      ssw_phone_invite_auth_total: () => {
        const c = sw.phones?.registrar.counters.invite;
        if (c) for (const [result, n] of Object.entries(c)) this.#sync('ssw_phone_invite_auth_total', { result }, n);
      },
      ssw_phone_registrations_expired_total: () => this.#sync('ssw_phone_registrations_expired_total', {}, sw.phones?.registrar.counters.expired ?? 0),
      ssw_phone_registered: () => gauge('ssw_phone_registered').set(sw.phones?.registrar.stats.phones ?? 0),
      ssw_phone_contacts: () => gauge('ssw_phone_contacts').set(sw.phones?.registrar.stats.bindings ?? 0),
      ssw_call_started_total: () => this.#sync('ssw_call_started_total', {}, sw.b2bua.counters.attempts),
      ssw_session_refreshes_total: () => {
        for (const [outcome, n] of Object.entries(sw.b2bua.counters.refreshes)) this.#sync('ssw_session_refreshes_total', { outcome }, n);
      },
      ssw_gateway_up: () => {
        const g = gauge('ssw_gateway_up');
        g.reset();
        const p = sw.policy;
        if (!(p instanceof NetworkPolicy)) return;
        for (const gw of sw.config.network.routingGateways) if (gw.probeSeconds > 0) g.set({ routing_gateway: gw.name }, p.health.isUp(gw.id) ? 1 : 0);
      },
      ssw_gateway_health_changes_total: () => {
        const p = sw.policy;
        if (p instanceof NetworkPolicy) this.#sync('ssw_gateway_health_changes_total', {}, p.healthChanges);
      },
      ssw_network_generation: () => gauge('ssw_network_generation').set(sw.networkCounters.generation),
      ssw_network_refused_total: () => this.#sync('ssw_network_refused_total', {}, sw.networkCounters.refused),
      ssw_config_reloads_total: () => {
        for (const [file, by] of Object.entries(sw.live.reloads)) for (const [result, n] of Object.entries(by)) this.#sync('ssw_config_reloads_total', { file, result }, n);
      },
      ssw_config_pending_restart: () => gauge('ssw_config_pending_restart').set(sw.live.pendingParams().length + sw.live.pendingServer().length),
      ssw_call_gateway_active: () => {
        const g = gauge('ssw_call_gateway_active');
        g.reset();
        const per = new Map<string, number>();
        for (const c of sw.b2bua.calls) {
          const gw = c.answeredLeg;
          const name = gw && (gw.name.startsWith(PHONE_GATEWAY_PREFIX) ? 'phones' : gw.name);
          if (name) per.set(name, (per.get(name) ?? 0) + 1);
        }
        for (const [name, n] of per) g.set({ routing_gateway: name }, n);
      },
      ssw_sip_requests_total: () => {
        const c = sw.tx.counters;
        for (const [dir, m] of [['in', c.requestsIn], ['out', c.requestsOut]] as const) {
          const by = new Map<string, number>();
          for (const [method, n] of m) {
            const k = METHODS.has(method) ? method : 'OTHER';
            by.set(k, (by.get(k) ?? 0) + n);
          }
          for (const [method, n] of by) this.#sync('ssw_sip_requests_total', { direction: dir, method }, n);
        }
      },
      ssw_sip_responses_total: () => {
        const c = sw.tx.counters;
        for (const [dir, m] of [['in', c.responsesIn], ['out', c.responsesOut]] as const) {
          const by = new Map<string, number>();
          for (const [status, n] of m) {
            const k = status >= 100 && status < 700 ? `${Math.floor(status / 100)}xx` : 'other';
            by.set(k, (by.get(k) ?? 0) + n);
          }
          for (const [cls, n] of by) this.#sync('ssw_sip_responses_total', { direction: dir, status_class: cls }, n);
        }
      },
      ssw_sip_retransmissions_total: () => {
        this.#sync('ssw_sip_retransmissions_total', { direction: 'in' }, sw.tx.counters.retransmissionsIn);
        this.#sync('ssw_sip_retransmissions_total', { direction: 'out' }, sw.tx.counters.retransmissionsOut);
      },
      ssw_sip_messages_total: () => {
        const t = sw.transport.counters;
        this.#sync('ssw_sip_messages_total', { direction: 'in', transport: 'udp' }, t.udpIn);
        this.#sync('ssw_sip_messages_total', { direction: 'out', transport: 'udp' }, t.udpOut);
        this.#sync('ssw_sip_messages_total', { direction: 'in', transport: 'tcp' }, t.tcpIn);
        this.#sync('ssw_sip_messages_total', { direction: 'out', transport: 'tcp' }, t.tcpOut);
      },
      ssw_sip_parse_errors_total: () => this.#sync('ssw_sip_parse_errors_total', {}, sw.counters.parseErrors),
      ssw_sip_oversize_total: () => this.#sync('ssw_sip_oversize_total', {}, sw.transport.counters.oversize),
      ssw_sip_send_errors_total: () => this.#sync('ssw_sip_send_errors_total', {}, sw.transport.counters.sendErrors),
      ssw_sip_refused_sources_total: () => this.#sync('ssw_sip_refused_sources_total', {}, sw.b2bua.counters.forbidden),
      ssw_sip_transaction_timeouts_total: () => this.#sync('ssw_sip_transaction_timeouts_total', {}, sw.tx.counters.timeouts),
      ssw_sip_stray_responses_total: () => this.#sync('ssw_sip_stray_responses_total', {}, sw.tx.counters.strayResponses),
      ssw_sip_transactions_live: () => {
        const g = gauge('ssw_sip_transactions_live');
        g.set({ kind: 'server' }, sw.tx.liveServer);
        g.set({ kind: 'client' }, sw.tx.liveClient);
      },
      ssw_sip_tcp_connections: () => gauge('ssw_sip_tcp_connections').set(sw.transport.counters.tcpConnections),
      ssw_cdr_queue_depth: () => gauge('ssw_cdr_queue_depth').set(this.cdrQueueDepth()),
      ssw_cdr_drained_total: () => this.#sync('ssw_cdr_drained_total', {}, sw.engines?.cdr.drained ?? 0),
      ssw_cdr_drain_latency_seconds: () => gauge('ssw_cdr_drain_latency_seconds').set((sw.engines?.cdr.drainLatencyMs ?? 0) / 1000),
      ssw_cdr_write_errors_total: () => this.#sync('ssw_cdr_write_errors_total', {}, sw.engines?.cdr.errorCount ?? 0),
      ssw_cdr_journal_bytes: () => gauge('ssw_cdr_journal_bytes').set(sw.engines?.cdr.journalBytes ?? 0),
      ssw_cdr_journal_fsyncs_total: () => this.#sync('ssw_cdr_journal_fsyncs_total', {}, sw.engines?.cdr.fsyncCount ?? 0),
      ssw_eventloop_delay_seconds: () => {
        const d = this.eventLoopDelay();
        const g = gauge('ssw_eventloop_delay_seconds');
        g.set({ quantile: '0.5' }, d.p50Ms / 1000);
        g.set({ quantile: '0.99' }, d.p99Ms / 1000);
        g.set({ quantile: '1' }, d.maxMs / 1000);
      },
      ssw_wasm_memory_bytes: () => {
        // The parser room may expose `memoryBytes`; until it does this metric has no series.
        const bytes = (sw.parser as unknown as { memoryBytes?: unknown }).memoryBytes;
        if (typeof bytes === 'number') gauge('ssw_wasm_memory_bytes').set({ module: 'sip' }, bytes);
      },
    };
  }

  #callEnded(rec: CallRecord): void {
    const answered = rec.answerWall > 0;
    // Phones are many: their calls share one label value instead of one series per phone.
    const mapping = rec.ingress.name.startsWith(PHONE_GATEWAY_PREFIX) ? 'phones' : rec.ingress.name;
    this.counter('ssw_call_ended_total').inc({ mapping_gateway: mapping, end_reason: rec.endReason ?? 'unknown', answered: String(answered) });
    const attempts = this.counter('ssw_gateway_attempts_total');
    const answers = this.counter('ssw_gateway_answers_total');
    const failures = this.counter('ssw_gateway_failures_total');
    const talk = this.histogram('ssw_gateway_talk_seconds');
    const pdd = this.histogram('ssw_gateway_pdd_seconds');
    const last = rec.attempts.length - 1;
    rec.attempts.forEach((a, i) => {
      const gw = { routing_gateway: a.gateway.name.startsWith(PHONE_GATEWAY_PREFIX) ? 'phones' : a.gateway.name };
      attempts.inc(gw);
      const tookCall = answered && i === last && a.status >= 200 && a.status < 300;
      // PDD runs to the first 18x, or to the answer when the carrier sent none.
      if (a.firstProvisionalMono >= 0) pdd.observe(gw, (a.firstProvisionalMono - a.startMono) / 1000);
      else if (tookCall) pdd.observe(gw, (rec.answerMono - a.startMono) / 1000);
      if (tookCall) {
        answers.inc(gw);
        if (rec.ext.shortCall === true) this.counter('ssw_gateway_short_calls_total').inc(gw);
        talk.observe(gw, Math.max(0, rec.endMono - rec.answerMono) / 1000);
      } else {
        failures.inc({ ...gw, code: String(a.status) });
      }
    });
    if (rec.endReason === 'refused' && rec.attempts.length === 0) {
      this.counter('ssw_billing_refusals_total').inc({ reason: REFUSAL_REASONS.has(rec.endReasonText) ? rec.endReasonText : 'other' });
    }
  }
}

function summarise(h: IntervalHistogram): EventLoopDelay {
  // The histogram reports nanoseconds; an empty one reports NaN percentiles and a huge min.
  const ms = (ns: number) => (Number.isFinite(ns) && h.count > 0 ? ns / 1e6 : 0);
  return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
}
