/**
 * Every metric the switch defines, declared once: name, type, labels, help. The registry is built
 * from this list and docs/metrics.md is generated from it, so the two cannot drift.
 * Names follow `ssw_<subsystem>_<name>_<unit>`, counters end in `_total`. Labels are bounded:
 * gateway names come from configuration, reasons and methods from fixed lists, never Call-IDs
 * or numbers.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly labels: readonly string[];
  readonly help: string;
  readonly buckets?: readonly number[];
  /** Where the value comes from, for docs. */
  readonly source: string;
}

// Talk time buckets (seconds): short-call fraud shows below 6 s, long calls beyond an hour.
const TALK_BUCKETS = [6, 30, 60, 180, 600, 1800, 3600];
// Post-dial delay buckets (seconds): carriers are judged under 3 s.
const PDD_BUCKETS = [0.5, 1, 2, 3, 5, 8, 13];

export const METRIC_DEFS: readonly MetricDef[] = Object.freeze([
  // --- calls
  { name: 'ssw_call_active', type: 'gauge', labels: [], help: 'Calls in progress (routing or connected).', source: 'b2bua.calls at scrape' },
  { name: 'ssw_call_started_total', type: 'counter', labels: [], help: 'INVITEs from known customers that became calls.', source: 'b2bua.counters.attempts at scrape' },
  { name: 'ssw_call_ended_total', type: 'counter', labels: ['mapping_gateway', 'end_reason', 'answered'], help: 'Calls ended, by customer (mapping gateway), end reason and whether they were answered.', source: 'onCallEnded' },
  { name: 'ssw_gateway_up', type: 'gauge', labels: ['routing_gateway'], help: 'Routing gateways probed with OPTIONS (probeSeconds > 0): 1 in routing, 0 taken out because it stopped answering.', source: 'policy.health at scrape' },
  { name: 'ssw_gateway_health_changes_total', type: 'counter', labels: [], help: 'Times a probed routing gateway went down or came back.', source: 'policy.healthChanges at scrape' },
  { name: 'ssw_network_generation', type: 'gauge', labels: [], help: 'Network generations swapped in since start (each reload or admin change that took effect adds one).', source: 'sw.networkCounters at scrape' },
  { name: 'ssw_network_refused_total', type: 'counter', labels: [], help: 'Reloads of network.yaml and admin network changes refused (the network in force stayed; the log or the answer says why).', source: 'sw.networkCounters at scrape' },
  { name: 'ssw_config_reloads_total', type: 'counter', labels: ['file', 'result'], help: 'Reloads of params.yaml and server.yaml (SIGHUP, an edit of the file, the admin API) by result: applied (something changed), unchanged, refused (a bad file: the values in force stayed).', source: 'sw.live.reloads at scrape' },
  { name: 'ssw_config_pending_restart', type: 'gauge', labels: [], help: 'Parameters and server.yaml fields whose new value waits for a restart (the value in force differs from the files and API overrides).', source: 'sw.live at scrape' },
  { name: 'ssw_call_gateway_active', type: 'gauge', labels: ['routing_gateway'], help: 'Calls in progress per routing gateway (the carrier of the current attempt); gateways with none are absent.', source: 'b2bua.calls at scrape' },
  // --- routing gateways (carriers): ASR = answers / attempts, ACD = talk sum / count, PDD histogram
  { name: 'ssw_gateway_attempts_total', type: 'counter', labels: ['routing_gateway'], help: 'INVITEs sent to a routing gateway (one per attempt, failover included); counted when the call ends.', source: 'onCallEnded' },
  { name: 'ssw_gateway_answers_total', type: 'counter', labels: ['routing_gateway'], help: 'Attempts a routing gateway answered (2xx).', source: 'onCallEnded' },
  { name: 'ssw_gateway_short_calls_total', type: 'counter', labels: ['routing_gateway'], help: 'Answered calls that talked less than the gateways\' minCallSeconds (short calls: not answers for the live ASR; counted in answers_total, which follows the wire).', source: 'onCallEnded' },
  { name: 'ssw_gateway_failures_total', type: 'counter', labels: ['routing_gateway', 'code'], help: 'Attempts a routing gateway did not answer, by its final SIP status (408 = timed out, 0 = abandoned by the caller or the switch).', source: 'onCallEnded' },
  { name: 'ssw_gateway_talk_seconds', type: 'histogram', labels: ['routing_gateway'], buckets: TALK_BUCKETS, help: 'Talk time of answered calls per routing gateway (ACD = sum / count).', source: 'onCallEnded' },
  { name: 'ssw_gateway_pdd_seconds', type: 'histogram', labels: ['routing_gateway'], buckets: PDD_BUCKETS, help: 'Post-dial delay per routing gateway: INVITE sent to the first 18x.', source: 'onCallEnded' },
  // --- SIP
  { name: 'ssw_sip_requests_total', type: 'counter', labels: ['direction', 'method'], help: 'SIP requests received (in) and sent (out), by method; unknown methods count as OTHER.', source: 'tx.counters at scrape' },
  { name: 'ssw_sip_responses_total', type: 'counter', labels: ['direction', 'status_class'], help: 'SIP responses received (in) and sent (out), by status class (1xx-6xx).', source: 'tx.counters at scrape' },
  { name: 'ssw_sip_retransmissions_total', type: 'counter', labels: ['direction'], help: 'Retransmissions absorbed (in) and sent (out).', source: 'tx.counters at scrape' },
  { name: 'ssw_sip_messages_total', type: 'counter', labels: ['direction', 'transport'], help: 'SIP messages by transport (udp/tcp) and direction.', source: 'transport.counters at scrape' },
  { name: 'ssw_sip_parse_errors_total', type: 'counter', labels: [], help: 'Messages the parser refused (answered with 400 where possible).', source: 'switch.counters at scrape' },
  { name: 'ssw_sip_oversize_total', type: 'counter', labels: [], help: 'Messages over maxMessageBytes (513 or dropped).', source: 'transport.counters at scrape' },
  { name: 'ssw_sip_send_errors_total', type: 'counter', labels: [], help: 'Sends the operating system refused.', source: 'transport.counters at scrape' },
  { name: 'ssw_session_refreshes_total', type: 'counter', labels: ['outcome'], help: 'Session refreshes (RFC 4028) and liveness re-INVITEs the switch sent, by outcome: ok (2xx), refused (another final answer: retried), gone (408, 481 or no answer: the call was ended).', source: 'b2bua.counters.refreshes at scrape' },
  { name: 'ssw_sip_refused_sources_total', type: 'counter', labels: [], help: 'INVITEs from unknown sources, refused with 403.', source: 'b2bua.counters.forbidden at scrape' },
  { name: 'ssw_sip_transaction_timeouts_total', type: 'counter', labels: [], help: 'Client transactions that got no response (Timer B/F).', source: 'tx.counters at scrape' },
  { name: 'ssw_sip_stray_responses_total', type: 'counter', labels: [], help: 'Responses matching no transaction.', source: 'tx.counters at scrape' },
  { name: 'ssw_sip_transactions_live', type: 'gauge', labels: ['kind'], help: 'Live transactions (server, client).', source: 'tx.liveServer / liveClient at scrape' },
  { name: 'ssw_sip_tcp_connections', type: 'gauge', labels: [], help: 'Open SIP TCP connections.', source: 'transport.counters at scrape' },
  // --- billing and CDR
  { name: 'ssw_billing_refusals_total', type: 'counter', labels: ['reason'], help: 'Calls refused by authorization before any carrier was tried, by the billing refusal (Insufficient balance, Account locked, ...; other texts count as other).', source: 'onCallEnded (end reason refused, no attempt)' },
  { name: 'ssw_cdr_queue_depth', type: 'gauge', labels: [], help: 'CDRs journaled but not yet confirmed in the store.', source: 'engines.cdr.depth at scrape' },
  { name: 'ssw_cdr_drained_total', type: 'counter', labels: [], help: 'CDRs moved from the journal into the store.', source: 'engines.cdr.drained at scrape' },
  { name: 'ssw_cdr_drain_latency_seconds', type: 'gauge', labels: [], help: 'Journal-to-store latency of the newest CDR of the last drained batch.', source: 'engines.cdr.drainLatencyMs at scrape' },
  { name: 'ssw_cdr_write_errors_total', type: 'counter', labels: [], help: 'CDR store writes that failed (the journal keeps the CDRs and retries).', source: 'engines.cdr.errorCount at scrape' },
  { name: 'ssw_cdr_journal_bytes', type: 'gauge', labels: [], help: 'Size of the CDR journal on disk.', source: 'engines.cdr.journalBytes at scrape' },
  { name: 'ssw_cdr_journal_fsyncs_total', type: 'counter', labels: [], help: 'fsync calls made by the CDR journal.', source: 'engines.cdr.fsyncCount at scrape' },
  // --- phones (registrar and digest checks); results come from fixed lists
  { name: 'ssw_phone_register_total', type: 'counter', labels: ['result'], help: 'REGISTER requests by result: registered, unregistered, queried, challenged (401 sent), stale, bad-password, unknown-user, locked, wrong-aor, interval-too-brief, bad-request.', source: 'phones.registrar.counters at scrape' },
  { name: 'ssw_phone_invite_auth_total', type: 'counter', labels: ['result'], help: 'Digest checks of INVITEs from phones by result: ok, challenged (407 sent), stale, bad-password, unknown-user, locked, bad-request.', source: 'phones.registrar.counters at scrape' },
  { name: 'ssw_phone_registrations_expired_total', type: 'counter', labels: [], help: 'Phone contacts that lapsed without being renewed (removed by the sweep).', source: 'phones.registrar.counters at scrape' },
  { name: 'ssw_phone_registered', type: 'gauge', labels: [], help: 'Phones with at least one live contact.', source: 'phones.registrar at scrape' },
  { name: 'ssw_phone_contacts', type: 'gauge', labels: [], help: 'Live phone contacts (bindings) in all.', source: 'phones.registrar at scrape' },
  // --- admin API
  { name: 'ssw_admin_requests_total', type: 'counter', labels: ['method', 'route', 'status_class'], help: 'Admin API requests by method, route pattern and status class.', source: 'admin server' },
  { name: 'ssw_admin_auth_failures_total', type: 'counter', labels: ['reason'], help: 'Admin requests refused: missing or invalid token (401), read-only token on a write route (403).', source: 'admin server' },
  { name: 'ssw_admin_rate_limited_total', type: 'counter', labels: [], help: 'Admin requests refused with 429 by the per-client token bucket.', source: 'admin server' },
  // --- process
  { name: 'ssw_eventloop_delay_seconds', type: 'gauge', labels: ['quantile'], help: 'Event-loop delay over the last 10 s window (quantile 0.5, 0.99, 1 = max).', source: 'perf_hooks.monitorEventLoopDelay' },
  { name: 'ssw_wasm_memory_bytes', type: 'gauge', labels: ['module'], help: 'Linear memory of each WebAssembly instance the switch can reach.', source: 'memoryBytes getters in src/wasm (absent until exposed)' },
] satisfies MetricDef[]);

/** Prefix of prom-client's default process metrics (ssw_process_*, ssw_nodejs_*). */
export const DEFAULT_METRICS_PREFIX = 'ssw_';
