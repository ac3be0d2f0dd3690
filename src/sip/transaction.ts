import type { SipMessage, Via } from '../wasm/sip.js';
import type { Inbound, LocalAddress, Peer, TcpConnection, TransportLayer } from './transport.js';
import { TimerWheel, type Timer } from './timer-wheel.js';
import { buildNon2xxAck, serializeRequest, serializeResponse, type OutRequest, type ResponseOptions } from './build.js';
import { componentLogger } from '../util/log.js';
import { newTag } from './ids.js';

const log = componentLogger('transaction');

/** Retransmission schedule and derived timers, from SS_SIP_RESEND_INTERVAL (seconds). */
export interface TimerConfig {
  /** Intervals between retransmissions in ms (0.5,1,2,4,... s by default). */
  readonly resend: readonly number[];
  /** Sum of the schedule: how long a UDP transaction waits for an answer in all (Timer B/F/H). */
  readonly total: number;
  /** T4: how long a completed non-INVITE transaction absorbs retransmissions (Timer I/K). */
  readonly t4: number;
}

export function timerConfig(resendSeconds: readonly number[]): TimerConfig {
  const resend = resendSeconds.map((s) => Math.round(s * 1000));
  const total = resend.reduce((a, b) => a + b, 0);
  return { resend, total, t4: 5000 };
}

export interface TransactionCounters {
  requestsIn: Map<string, number>;
  responsesIn: Map<number, number>;
  requestsOut: Map<string, number>;
  responsesOut: Map<number, number>;
  retransmissionsOut: number;
  retransmissionsIn: number;
  strayResponses: number;
  timeouts: number;
}

/** What the transaction layer hands to the call layer above it. */
export interface TransactionUser {
  /** A new request (not a retransmission, not an ACK, not a CANCEL). */
  onRequest(tx: ServerTransaction): void;
  /** An ACK that belongs to no INVITE transaction in progress: the ACK of a 2xx (end to end). */
  onAck(msg: SipMessage, src: Inbound, acceptedTx: ServerTransaction | null): void;
  /** A CANCEL that matched an INVITE server transaction (200 to the CANCEL is already sent). */
  onCancel(inviteTx: ServerTransaction, cancel: SipMessage): void;
  /** A 2xx we sent was retransmitted through the whole schedule without an ACK. */
  onAckTimeout(tx: ServerTransaction): void;
  /** A 2xx to an INVITE that matches no client transaction (a retransmitted 200: re-ACK it). */
  onStray2xx(msg: SipMessage, src: Inbound): void;
}

const enum SState {
  Proceeding = 1,
  Completed = 2, // non-2xx final sent
  Accepted = 3, // 2xx sent to an INVITE, waiting for the ACK
  Confirmed = 4,
  Terminated = 5,
}

/** RFC 3261 §17.2 server transaction (INVITE and non-INVITE). */
export class ServerTransaction {
  readonly key: string;
  readonly req: SipMessage;
  readonly src: Inbound;
  readonly isInvite: boolean;
  readonly layer: TransactionLayer;
  /** Filled by the call layer: who owns this transaction. */
  owner: unknown = null;
  /** The To tag this side answers with (set by the call layer before responding). */
  toTag = '';
  state: SState = SState.Proceeding;
  lastStatus = 0;
  #last: Buffer | null = null;
  #timer: Timer | null = null;
  #retry = 0;
  #mergeKey: string | null;
  #ackKey: string | null = null;
  /** The schedule in force when it began: a live change of SS_SIP_RESEND_INTERVAL applies to later ones. */
  readonly #timers: TimerConfig;

  constructor(layer: TransactionLayer, key: string, req: SipMessage, src: Inbound, mergeKey: string | null) {
    this.layer = layer;
    this.#timers = layer.timers;
    this.key = key;
    this.req = req;
    this.src = src;
    this.isInvite = req.method === 'INVITE';
    this.#mergeKey = mergeKey;
  }

  get finalSent(): boolean {
    return this.lastStatus >= 200;
  }

  /** Sends a response; provisional responses may follow one another, one final ends it. */
  respond(status: number, o: ResponseOptions = {}): void {
    if (this.state !== SState.Proceeding) return; // a final was sent already: nothing more
    // Every response but 100 carries a To tag (RFC 3261 §8.2.6.2); one per transaction, so it is stable.
    if (status > 100 && !this.toTag && !this.req.to.tag) this.toTag = newTag();
    const opts = this.toTag && !o.toTag ? { ...o, toTag: this.toTag } : o;
    const buf = serializeResponse(this.req, this.layer.responseVia(this.req.topVia, this.src), status, opts, this.layer.server);
    this.#last = buf;
    this.lastStatus = status;
    this.layer.sendResponseBytes(buf, this, status);
    if (status < 200) return;
    const udp = this.src.transport === 'udp';
    if (this.isInvite) {
      if (status < 300) {
        // RFC 6026 "Accepted": the 2xx is retransmitted until its end-to-end ACK arrives.
        this.state = SState.Accepted;
        this.#ackKey = ackKeyOf(this.req.callId, this.req.cseq, this.req.from.tag);
        this.layer.registerAccepted(this.#ackKey, this);
        this.#retry = 0;
        this.#arm(udp ? this.#timers.resend[0]! : this.#timers.total, onResend2xx);
      } else {
        this.state = SState.Completed;
        this.#retry = 0;
        if (udp) this.#arm(this.#timers.resend[0]!, onResendFinal);
        else this.#arm(this.#timers.total, onTimerH);
      }
    } else {
      this.state = SState.Completed;
      this.#arm(udp ? this.#timers.total : 0, onTerminate);
    }
    this.layer.unmerge(this.#mergeKey, this);
  }

  /** A retransmission of the request arrived: resend the last response (RFC 3261 §17.2.1/§17.2.2). */
  onRetransmit(): void {
    this.layer.counters.retransmissionsIn++;
    if (this.#last && this.state !== SState.Confirmed && this.state !== SState.Terminated) this.layer.resendBytes(this.#last, this);
  }

  /** The ACK of a non-2xx final arrived (same branch). */
  onAck(): void {
    if (this.state !== SState.Completed) return;
    this.state = SState.Confirmed;
    this.#arm(this.src.transport === 'udp' ? this.#timers.t4 : 0, onTerminate);
  }

  /** The end-to-end ACK of our 2xx arrived. */
  onAck2xx(): void {
    if (this.state !== SState.Accepted) return;
    this.terminate();
  }

  terminate(): void {
    if (this.state === SState.Terminated) return;
    this.state = SState.Terminated;
    this.layer.wheel.cancel(this.#timer);
    this.#timer = null;
    this.layer.removeServer(this);
    if (this.#ackKey) this.layer.unregisterAccepted(this.#ackKey, this);
    this.layer.unmerge(this.#mergeKey, this);
  }

  #arm(ms: number, fn: (tx: ServerTransaction) => void): void {
    this.layer.wheel.cancel(this.#timer);
    this.#timer = ms <= 0 ? null : this.layer.wheel.schedule(ms, fn, this);
    if (ms <= 0) fn(this);
  }

  /** @internal timer step: retransmit the final response, or give up at the end of the schedule. */
  stepResend(is2xx: boolean): void {
    const sched = this.#timers.resend;
    this.#retry++;
    if (this.#retry >= sched.length) {
      if (is2xx) {
        const tx = this;
        this.terminate();
        this.layer.tu.onAckTimeout(tx);
      } else this.terminate();
      return;
    }
    if (this.#last) this.layer.resendBytes(this.#last, this);
    this.#timer = this.layer.wheel.schedule(sched[this.#retry]!, is2xx ? onResend2xx : onResendFinal, this);
  }
}

function onResendFinal(tx: ServerTransaction): void {
  tx.stepResend(false);
}
function onResend2xx(tx: ServerTransaction): void {
  tx.stepResend(true);
}
function onTimerH(tx: ServerTransaction): void {
  tx.terminate();
}
function onTerminate(tx: ServerTransaction | ClientTransaction): void {
  tx.terminate();
}

const enum CState {
  Calling = 1, // also "Trying" for non-INVITE
  Proceeding = 2,
  Completed = 3,
  Terminated = 4,
}

export interface ClientHandler {
  /** Every response that belongs to the transaction (provisional, final, retransmitted 2xx excluded). */
  onResponse(tx: ClientTransaction, resp: SipMessage): void;
  /** No final response in time (Timer B/F) or the transport failed. */
  onTimeout(tx: ClientTransaction, transportError: boolean): void;
}

/** RFC 3261 §17.1 client transaction (INVITE and non-INVITE). */
export class ClientTransaction {
  readonly key: string;
  req: OutRequest;
  /** Where it goes; a UDP request over the size limit moves to TCP (RFC 3261 §18.1.1). */
  dest: Peer;
  readonly local: LocalAddress;
  readonly isInvite: boolean;
  readonly layer: TransactionLayer;
  readonly handler: ClientHandler;
  /** Filled by the call layer. */
  owner: unknown = null;
  state: CState = CState.Calling;
  /** Highest status received so far (0 = none). */
  lastStatus = 0;
  #bytes: Buffer;
  #timer: Timer | null = null;
  #retry = 0;
  #cancelWanted = false;
  #cancelTx: ClientTransaction | null = null;
  #ack: Buffer | null = null;
  #conn: TcpConnection | null = null;
  /** The schedule in force when it began: a live change of SS_SIP_RESEND_INTERVAL applies to later ones. */
  readonly #timers: TimerConfig;

  constructor(layer: TransactionLayer, key: string, req: OutRequest, dest: Peer, local: LocalAddress, handler: ClientHandler) {
    this.layer = layer;
    this.key = key;
    this.req = req;
    this.dest = dest;
    this.local = local;
    this.handler = handler;
    this.#timers = layer.timers;
    this.isInvite = req.method === 'INVITE';
    this.#bytes = serializeRequest(req);
  }

  /** @internal starts it: first transmission and timers. */
  start(): void {
    if (this.dest.transport === 'udp' && this.#bytes.length > this.layer.udpMtu && this.layer.transport.canTcp(this.local)) {
      this.#startTcpForSize();
      return;
    }
    this.#startOn();
  }

  #startOn(): void {
    if (!this.layer.transport.send(this.#bytes, this.dest, this.local)) {
      this.layer.wheel.schedule(0, (tx: ClientTransaction) => tx.#fail(true), this);
      return;
    }
    this.layer.countOut(this.req.method);
    if (this.dest.transport === 'udp') this.#timer = this.layer.wheel.schedule(this.#timers.resend[0]!, onClientResend, this);
    else this.#timer = this.layer.wheel.schedule(this.#timers.total, onClientTimeout, this);
  }

  /** Too large for UDP: send over TCP with a TCP Via; if the peer refuses TCP, fall back to UDP. */
  #startTcpForSize(): void {
    const udpReq = this.req;
    const udpDest = this.dest;
    const udpBytes = this.#bytes;
    this.req = { ...udpReq, via: udpReq.via.replace('SIP/2.0/UDP ', 'SIP/2.0/TCP ') };
    this.dest = { ...udpDest, transport: 'tcp' };
    this.#bytes = serializeRequest(this.req);
    this.layer.sizeSwitches++;
    this.layer.transport.sendTcp(this.#bytes, this.dest, this.local, () => {
      if (this.state !== CState.Calling || this.lastStatus > 0) return;
      this.layer.wheel.cancel(this.#timer);
      this.req = udpReq;
      this.dest = udpDest;
      this.#bytes = udpBytes;
      this.#startOn();
    });
    this.layer.countOut(this.req.method);
    this.#timer = this.layer.wheel.schedule(this.#timers.total, onClientTimeout, this);
  }

  /** @internal */
  stepResend(): void {
    if (this.state !== CState.Calling) return;
    const sched = this.#timers.resend;
    this.#retry++;
    if (this.#retry >= sched.length) {
      this.#fail(false);
      return;
    }
    this.layer.resendRequest(this.#bytes, this.dest, this.local);
    this.#timer = this.layer.wheel.schedule(sched[this.#retry]!, onClientResend, this);
  }

  /** @internal Timer B/F, or a transport failure. */
  timeout(): void {
    this.#fail(false);
  }

  #fail(transportError: boolean): void {
    if (this.state === CState.Completed || this.state === CState.Terminated) return;
    this.layer.counters.timeouts++;
    this.terminate();
    this.handler.onTimeout(this, transportError);
  }

  /** @internal a response matched this transaction. */
  receive(resp: SipMessage, src: Inbound): void {
    const status = resp.status;
    if (src.conn) this.#conn = src.conn;
    if (this.state === CState.Terminated) return;
    if (this.state === CState.Completed) {
      // Retransmitted final: re-send our ACK (INVITE) and absorb it.
      if (this.#ack) this.layer.resendRequest(this.#ack, this.dest, this.local);
      this.layer.counters.retransmissionsIn++;
      return;
    }
    if (status < 200) {
      if (this.state === CState.Calling) {
        this.state = CState.Proceeding;
        if (!this.isInvite) {
          // Non-INVITE keeps retransmitting at T2 in Proceeding; our schedule's tail plays T2's part.
        } else {
          this.layer.wheel.cancel(this.#timer);
          this.#timer = null; // the call layer's phase timers take over (SS_SIP_TIMEOUT_*)
        }
      }
      if (status > this.lastStatus) this.lastStatus = status;
      if (this.#cancelWanted && !this.#cancelTx) this.#sendCancel();
      this.handler.onResponse(this, resp);
      return;
    }
    this.lastStatus = status;
    this.layer.wheel.cancel(this.#timer);
    this.#timer = null;
    if (this.isInvite && status >= 300) {
      this.#ack = buildNon2xxAck(this.req, resp.to.raw);
      this.layer.resendRequest(this.#ack, this.dest, this.local, true);
      this.state = CState.Completed;
      this.#timer = this.layer.wheel.schedule(this.dest.transport === 'udp' ? this.#timers.total : 1, onTerminate, this);
    } else if (this.isInvite) {
      // 2xx: the transaction ends; the call layer ACKs end to end. A retransmitted 2xx arrives
      // through onStray2xx while the dialog is kept.
      this.terminate();
    } else {
      this.state = CState.Completed;
      this.#timer = this.layer.wheel.schedule(this.dest.transport === 'udp' ? this.#timers.t4 : 1, onTerminate, this);
    }
    this.handler.onResponse(this, resp);
  }

  /**
   * Cancels an INVITE (RFC 3261 §9.1): sent at once if a provisional response arrived, else as soon
   * as one does. Returns false if a final response was received already.
   */
  cancel(): boolean {
    if (!this.isInvite || this.lastStatus >= 200 || this.state === CState.Terminated || this.state === CState.Completed) return false;
    if (this.#cancelWanted) return true;
    this.#cancelWanted = true;
    if (this.lastStatus >= 100) this.#sendCancel();
    return true;
  }

  get cancelled(): boolean {
    return this.#cancelWanted;
  }

  #sendCancel(): void {
    const cancelReq: OutRequest = { ...this.req, method: 'CANCEL', headers: undefined, body: undefined, contact: undefined };
    // Same branch as the INVITE, a transaction of its own (keyed by method).
    this.#cancelTx = this.layer.sendRequest(cancelReq, this.dest, this.local, IGNORE_HANDLER);
  }

  terminate(): void {
    if (this.state === CState.Terminated) return;
    this.state = CState.Terminated;
    this.layer.wheel.cancel(this.#timer);
    this.#timer = null;
    this.layer.removeClient(this);
  }
}

const IGNORE_HANDLER: ClientHandler = { onResponse() {}, onTimeout() {} };

function onClientResend(tx: ClientTransaction): void {
  tx.stepResend();
}
function onClientTimeout(tx: ClientTransaction): void {
  tx.timeout();
}

function ackKeyOf(callId: string, cseq: number, fromTag: string): string {
  return `${callId}\u0000${cseq}\u0000${fromTag}`;
}

const MAGIC = 'z9hG4bK';

/**
 * Matches messages to transactions (RFC 3261 §17.1.3, §17.2.3), absorbs retransmissions, sends
 * 100 Trying at once for INVITE, answers CANCEL, detects merged requests (482), and drives every
 * timer from one wheel.
 */
export class TransactionLayer {
  readonly wheel: TimerWheel;
  readonly transport: TransportLayer;
  readonly counters: TransactionCounters = {
    requestsIn: new Map(), responsesIn: new Map(), requestsOut: new Map(), responsesOut: new Map(),
    retransmissionsOut: 0, retransmissionsIn: 0, strayResponses: 0, timeouts: 0,
  };
  timers: TimerConfig;
  tu!: TransactionUser;
  server: string;
  #servers = new Map<string, ServerTransaction>();
  #clients = new Map<string, ClientTransaction>();
  #accepted = new Map<string, ServerTransaction>();
  #merge = new Map<string, ServerTransaction>();

  /** Requests larger than this (bytes) go over TCP when the peer takes it (RFC 3261 §18.1.1). */
  udpMtu: number;
  /** Requests moved from UDP to TCP because of their size. */
  sizeSwitches = 0;

  constructor(transport: TransportLayer, wheel: TimerWheel, timers: TimerConfig, server: string, udpMtu = 1300) {
    this.transport = transport;
    this.wheel = wheel;
    this.timers = timers;
    this.server = server;
    this.udpMtu = udpMtu;
  }

  get liveServer(): number {
    return this.#servers.size;
  }
  get liveClient(): number {
    return this.#clients.size;
  }

  /** Entry point for every parsed request from the transport. */
  receiveRequest(msg: SipMessage, src: Inbound): void {
    const method = msg.method;
    inc(this.counters.requestsIn, method);
    const via = msg.topVia;
    const key = serverKey(msg, via, method === 'ACK' ? 'INVITE' : method);
    const tx = this.#servers.get(key);
    if (method === 'ACK') {
      if (tx && tx.isInvite && tx.lastStatus >= 300) {
        tx.onAck();
        return;
      }
      const acc = this.#accepted.get(ackKeyOf(msg.callId, msg.cseq, msg.from.tag)) ?? null;
      if (acc) acc.onAck2xx();
      this.tu.onAck(msg, src, acc);
      return;
    }
    if (tx) {
      tx.onRetransmit();
      return;
    }
    if (method === 'CANCEL') {
      const inv = this.#servers.get(serverKey(msg, via, 'INVITE'));
      const ctx = this.#newServer(key, msg, src, null);
      if (!inv || !inv.isInvite) {
        ctx.respond(481);
        return;
      }
      ctx.toTag = inv.toTag;
      ctx.respond(200);
      this.tu.onCancel(inv, msg);
      return;
    }
    // Merged request (RFC 3261 §8.2.2.2): same From tag, Call-ID and CSeq, another branch, no To tag.
    let mergeKey: string | null = null;
    if (!msg.to.tag) {
      mergeKey = `${msg.callId}\u0000${msg.cseq}\u0000${method}\u0000${msg.from.tag}`;
      const other = this.#merge.get(mergeKey);
      if (other && other.state !== SState.Terminated) {
        const t = this.#newServer(key, msg, src, null);
        t.respond(482);
        return;
      }
    }
    const stx = this.#newServer(key, msg, src, mergeKey);
    if (mergeKey) this.#merge.set(mergeKey, stx);
    if (stx.isInvite) stx.respond(100); // 100 Trying at once: the caller stops retransmitting
    this.tu.onRequest(stx);
  }

  /** Entry point for every parsed response from the transport. */
  receiveResponse(msg: SipMessage, src: Inbound): void {
    inc(this.counters.responsesIn, msg.status);
    const via = msg.topVia;
    const tx = this.#clients.get(`${via.branch}\u0000${msg.cseqMethod}`);
    if (tx) {
      tx.receive(msg, src);
      return;
    }
    if (msg.cseqMethod === 'INVITE' && msg.status >= 200 && msg.status < 300) {
      this.tu.onStray2xx(msg, src);
      return;
    }
    // A stray response is absorbed: never answered (RFC 3261 §18.1.2).
    this.counters.strayResponses++;
  }

  #newServer(key: string, msg: SipMessage, src: Inbound, mergeKey: string | null): ServerTransaction {
    const tx = new ServerTransaction(this, key, msg, src, mergeKey);
    this.#servers.set(key, tx);
    return tx;
  }

  /** Starts a client transaction for a request the switch originates. */
  sendRequest(req: OutRequest, dest: Peer, local: LocalAddress, handler: ClientHandler): ClientTransaction {
    const tx = new ClientTransaction(this, `${branchOf(req.via)}\u0000${req.method}`, req, dest, local, handler);
    this.#clients.set(tx.key, tx);
    tx.start();
    return tx;
  }

  /** Sends an ACK for a 2xx (end to end, no transaction) or any other one-off request. */
  sendStateless(req: OutRequest, dest: Peer, local: LocalAddress): Buffer {
    const buf = serializeRequest(req);
    this.transport.send(buf, dest, local);
    this.countOut(req.method);
    return buf;
  }

  /** Sends bytes built earlier (a cached ACK) again. */
  resendRequest(buf: Buffer, dest: Peer, local: LocalAddress, first = false): void {
    if (!first) this.counters.retransmissionsOut++;
    this.transport.send(buf, dest, local);
  }

  /** Answers a request outside any transaction (parse errors: 400 built from what could be read). */
  respondStateless(req: SipMessage, src: Inbound, status: number, o: ResponseOptions = {}): void {
    const opts = !o.toTag && !req.to.tag ? { ...o, toTag: newTag() } : o;
    const buf = serializeResponse(req, this.responseVia(req.topVia, src), status, opts, this.server);
    this.#sendResponse(buf, req.topVia, src);
    inc(this.counters.responsesOut, status);
  }

  /** @internal */
  sendResponseBytes(buf: Buffer, tx: ServerTransaction, status: number): void {
    inc(this.counters.responsesOut, status);
    this.#sendResponse(buf, tx.req.topVia, tx.src);
  }

  /** @internal */
  resendBytes(buf: Buffer, tx: ServerTransaction): void {
    this.counters.retransmissionsOut++;
    this.#sendResponse(buf, tx.req.topVia, tx.src);
  }

  /** Where a response goes (RFC 3261 §18.2.2, RFC 3581): the connection, else source IP and rport/sent-by port. */
  #sendResponse(buf: Buffer, via: Via, src: Inbound): void {
    if (src.transport === 'tcp') {
      // Back on the connection while it is open; once closed, a new connection to the source IP
      // (the `received` address) at the Via's sent-by port (§18.2.2; rport names the old
      // connection's ephemeral port, useless now).
      const open = src.conn !== null && !src.conn.closed;
      this.transport.send(buf, { transport: 'tcp', address: src.address, port: open ? src.port : via.port || 5060 }, src.local, src.conn);
      return;
    }
    const port = via.rport >= 0 ? src.port : via.port || 5060;
    this.transport.send(buf, { transport: 'udp', address: src.address, port }, src.local);
  }

  /** The top Via as echoed in responses: `received` when the source differs, `rport` filled in. */
  responseVia(via: Via, src: Inbound): string {
    let raw = via.raw;
    if (via.rport === 0) raw = raw.replace(/;\s*rport(?=\s*(;|$|,))/i, `;rport=${src.port}`);
    if (!via.received && (via.host !== src.address || via.rport >= 0)) raw += `;received=${src.address}`;
    return raw;
  }

  countOut(method: string): void {
    inc(this.counters.requestsOut, method);
  }

  /** @internal */
  removeServer(tx: ServerTransaction): void {
    if (this.#servers.get(tx.key) === tx) this.#servers.delete(tx.key);
  }
  /** @internal */
  removeClient(tx: ClientTransaction): void {
    if (this.#clients.get(tx.key) === tx) this.#clients.delete(tx.key);
  }
  /** @internal */
  registerAccepted(key: string, tx: ServerTransaction): void {
    this.#accepted.set(key, tx);
  }
  /** @internal */
  unregisterAccepted(key: string, tx: ServerTransaction): void {
    if (this.#accepted.get(key) === tx) this.#accepted.delete(key);
  }
  /** @internal */
  unmerge(key: string | null, tx: ServerTransaction): void {
    if (key && this.#merge.get(key) === tx) this.#merge.delete(key);
  }
}

/** RFC 3261 §17.2.3 key; RFC 2543 peers (no magic cookie) fall back to dialog identifiers. */
function serverKey(msg: SipMessage, via: Via, method: string): string {
  const b = via.branch;
  // Call-ID and CSeq number join the RFC 3261 key: a retransmission repeats them, while a broken
  // peer that reuses branches (RFC 4475 has several) must not have its new request absorbed.
  if (b.length > MAGIC.length && b.startsWith(MAGIC)) return `${b}\u0000${via.host}:${via.port}\u0000${method}\u0000${msg.callId}\u0000${msg.cseq}`;
  return `2543\u0000${msg.callId}\u0000${msg.cseq}\u0000${msg.from.tag}\u0000${via.raw}\u0000${method}`;
}

function branchOf(via: string): string {
  const i = via.indexOf(';branch=');
  if (i < 0) return '';
  const rest = via.slice(i + 8);
  const j = rest.indexOf(';');
  return j < 0 ? rest : rest.slice(0, j);
}

function inc<K>(m: Map<K, number>, k: K): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

export { log as transactionLog };
