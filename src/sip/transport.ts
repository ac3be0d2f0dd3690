import dgram from 'node:dgram';
import net from 'node:net';
import { isIPv6 } from 'node:net';
import type { ListenAddress, Transport } from '../config/types.js';
import type { SipParser, ParseResult } from '../wasm/sip.js';
import type { SipMessage } from '../wasm/sip.js';
import { componentLogger } from '../util/log.js';
import { SswError } from '../util/errors.js';

const log = componentLogger('transport');

/** Where a message came from or goes to. */
export interface Peer {
  readonly transport: Transport;
  readonly address: string;
  readonly port: number;
  /**
   * TCP only: where to open a new connection once the one at `port` is gone. A caller's
   * connection comes from an ephemeral port; requests to it later in the dialog go back on that
   * connection while it is open, else to the port its Contact names (RFC 3261 §18.1.1, §12.2.1.1).
   */
  readonly reconnectPort?: number;
}

/** A bound local address (after binding, so port 0 is resolved). */
export interface LocalAddress {
  readonly ip: string;
  readonly port: number;
  readonly transports: readonly Transport[];
}

export interface Inbound extends Peer {
  readonly local: LocalAddress;
  /** The TCP connection it arrived on (responses go back on it while it is open). */
  readonly conn: TcpConnection | null;
}

export interface TransportEvents {
  onMessage(msg: SipMessage, src: Inbound): void;
  /** A message the parser refused; `result.partial` may allow a response. */
  onParseError(result: Extract<ParseResult, { ok: false; needMore: false }>, src: Inbound): void;
}

export interface TransportCounters {
  udpIn: number;
  udpOut: number;
  tcpIn: number;
  tcpOut: number;
  oversize: number;
  sendErrors: number;
  tcpConnections: number;
}

/** A TCP connection carrying SIP, framed by Content-Length. */
export class TcpConnection {
  readonly socket: net.Socket;
  readonly peer: Peer;
  readonly local: LocalAddress;
  #buf: Buffer | null = null;
  #connected: boolean;
  #pending: Buffer[] = [];
  closed = false;

  constructor(socket: net.Socket, peer: Peer, local: LocalAddress, connected: boolean) {
    this.socket = socket;
    this.peer = peer;
    this.local = local;
    this.#connected = connected;
  }

  get key(): string {
    return peerKey(this.peer.address, this.peer.port);
  }

  write(buf: Buffer): void {
    if (this.closed) return;
    if (!this.#connected) {
      this.#pending.push(buf);
      return;
    }
    this.socket.write(buf);
  }

  markConnected(): void {
    this.#connected = true;
    this.#onFail = [];
    for (const b of this.#pending) this.socket.write(b);
    this.#pending = [];
  }

  #onFail: Array<() => void> = [];

  /** Called once if the connection fails before it is established (refused, reset, unreachable). */
  onConnectFail(fn: () => void): void {
    if (this.#connected) return;
    this.#onFail.push(fn);
  }

  /** @internal */
  connectFailed(): void {
    const fns = this.#onFail;
    this.#onFail = [];
    this.#pending = [];
    for (const f of fns) f();
  }

  /** Appends received bytes and returns the buffer to parse from. */
  append(chunk: Buffer): Buffer {
    this.#buf = this.#buf && this.#buf.length > 0 ? Buffer.concat([this.#buf, chunk]) : chunk;
    return this.#buf;
  }

  consume(n: number): void {
    if (!this.#buf) return;
    this.#buf = n >= this.#buf.length ? null : this.#buf.subarray(n);
  }

  get buffered(): number {
    return this.#buf ? this.#buf.length : 0;
  }

  /** What is left to parse. */
  get pending(): Buffer {
    return this.#buf ?? EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

export function peerKey(address: string, port: number): string {
  return `${address}|${port}`;
}

interface UdpEndpoint {
  readonly local: LocalAddress;
  readonly socket: dgram.Socket;
}

/**
 * UDP and TCP sockets for every configured listen address. Parses on the thread that owns the
 * socket (a hop to another thread costs more than the parse) and hands messages to the transaction
 * layer. Sends from a chosen local IP (a server may own several).
 */
export class TransportLayer {
  readonly counters: TransportCounters = { udpIn: 0, udpOut: 0, tcpIn: 0, tcpOut: 0, oversize: 0, sendErrors: 0, tcpConnections: 0 };
  #listen: readonly ListenAddress[];
  #parser: SipParser;
  #events: TransportEvents;
  #maxMessageBytes: number;
  #udp: UdpEndpoint[] = [];
  #tcpServers: net.Server[] = [];
  #tcpConns = new Map<string, TcpConnection>();
  #locals: LocalAddress[] = [];
  #closing = false;

  constructor(opts: { listen: readonly ListenAddress[]; parser: SipParser; events: TransportEvents; maxMessageBytes: number }) {
    this.#listen = opts.listen;
    this.#parser = opts.parser;
    this.#events = opts.events;
    this.#maxMessageBytes = Math.min(opts.maxMessageBytes, opts.parser.maxMessageBytes);
  }

  /** Largest message accepted (bytes): server.yaml maxMessageBytes, capped by the parser's own limit. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  /** A live change of server.yaml maxMessageBytes: messages from now on are held to it. */
  set maxMessageBytes(n: number) {
    this.#maxMessageBytes = Math.min(n, this.#parser.maxMessageBytes);
  }

  /** Bound local addresses, in config order. */
  get locals(): readonly LocalAddress[] {
    return this.#locals;
  }

  /** Binds every listen address; rejects with SSW_ERR_SIP_BIND naming the address on failure. */
  async start(): Promise<void> {
    for (const l of this.#listen) {
      let port = l.port;
      if (l.transports.includes('udp')) {
        const socket = dgram.createSocket({ type: isIPv6(l.ip) ? 'udp6' : 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
        await new Promise<void>((resolve, reject) => {
          socket.once('error', (err) => reject(new SswError('SSW_ERR_SIP_BIND', `cannot bind UDP ${l.ip}:${port}: ${err.message}`)));
          socket.bind(port, l.ip, () => resolve());
        });
        socket.removeAllListeners('error');
        socket.on('error', (err) => {
          this.counters.sendErrors++;
          log.debug({ err }, 'udp socket error');
        });
        port = socket.address().port;
        const local: LocalAddress = { ip: l.ip, port, transports: l.transports };
        socket.on('message', (buf, rinfo) => this.#onDatagram(buf, rinfo, local));
        this.#udp.push({ local, socket });
      }
      const local: LocalAddress = { ip: l.ip, port, transports: l.transports };
      if (l.transports.includes('tcp')) {
        const server = net.createServer((s) => this.#onTcpAccept(s, local));
        await new Promise<void>((resolve, reject) => {
          server.once('error', (err) => reject(new SswError('SSW_ERR_SIP_BIND', `cannot bind TCP ${l.ip}:${port}: ${err.message}`)));
          server.listen(port, l.ip, () => resolve());
        });
        server.on('error', (err) => log.error({ err }, 'tcp server error'));
        this.#tcpServers.push(server);
      }
      this.#locals.push(local);
    }
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const u of this.#udp) u.socket.close();
    this.#udp = [];
    for (const c of this.#tcpConns.values()) c.socket.destroy();
    this.#tcpConns.clear();
    await Promise.all(this.#tcpServers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.#tcpServers = [];
  }

  /** The local address to send from: the one with this IP, else the first. */
  localFor(ip?: string): LocalAddress {
    if (ip) {
      for (const l of this.#locals) if (l.ip === ip) return l;
    }
    return this.#locals[0]!;
  }

  isLocal(address: string, port: number): boolean {
    for (const l of this.#locals) if (l.ip === address && l.port === port) return true;
    return false;
  }

  /**
   * Sends bytes to a peer. UDP goes from the socket of `local`; TCP reuses `conn` or an open
   * connection to the peer, else connects from `local`. Returns false when it could not be sent.
   */
  /** Whether TCP is available from this local address (for requests over the UDP size limit). */
  canTcp(local: LocalAddress): boolean {
    return local.transports.includes('tcp');
  }

  /**
   * Sends over TCP and reports, once, a connection that could not be established (so the caller
   * can fall back to UDP, RFC 3261 §18.1.1).
   */
  sendTcp(buf: Buffer, dest: Peer, local: LocalAddress, onFail: () => void): void {
    const c = this.#tcpTo(dest, local, null);
    c.onConnectFail(onFail);
    this.counters.tcpOut++;
    c.write(buf);
  }

  send(buf: Buffer, dest: Peer, local: LocalAddress, conn?: TcpConnection | null): boolean {
    if (this.#closing) return false;
    if (dest.transport === 'udp') {
      const u = this.#udpFor(local);
      if (!u || buf.length > 65507) {
        this.counters.sendErrors++;
        return false;
      }
      this.counters.udpOut++;
      // No completion callback: libuv then tries a synchronous send first and skips a nextTick per
      // datagram; a failure surfaces as the socket's 'error' event (counted there).
      u.socket.send(buf, dest.port, dest.address);
      return true;
    }
    const c = this.#tcpTo(dest, local, conn ?? null);
    this.counters.tcpOut++;
    c.write(buf);
    return true;
  }

  /** The open connection to `dest` (or `conn`), else one to its reconnect port if open, else a new one. */
  #tcpTo(dest: Peer, local: LocalAddress, conn: TcpConnection | null): TcpConnection {
    if (conn && !conn.closed) return conn;
    const c = this.#tcpConns.get(peerKey(dest.address, dest.port));
    if (c && !c.closed) return c;
    if (dest.reconnectPort && dest.reconnectPort !== dest.port) {
      const to: Peer = { transport: 'tcp', address: dest.address, port: dest.reconnectPort };
      const r = this.#tcpConns.get(peerKey(to.address, to.port));
      return r && !r.closed ? r : this.#connect(to, local);
    }
    return this.#connect(dest, local);
  }

  #udpFor(local: LocalAddress): UdpEndpoint | undefined {
    for (const u of this.#udp) if (u.local.ip === local.ip && u.local.port === local.port) return u;
    for (const u of this.#udp) if (u.local.ip === local.ip) return u;
    return this.#udp[0];
  }

  #onDatagram(buf: Buffer, rinfo: dgram.RemoteInfo, local: LocalAddress): void {
    this.counters.udpIn++;
    // CRLF keep-alives (RFC 5626) and stray padding are ignored.
    if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10 || b === 0)) return;
    const src: Inbound = { transport: 'udp', address: rinfo.address, port: rinfo.port, local, conn: null };
    const r = this.#parser.parseDatagram(buf);
    if (r.ok && r.consumed > this.#maxMessageBytes) this.#tooLarge(r.msg, r.consumed, src);
    else if (r.ok) this.#events.onMessage(r.msg, src);
    else if (!r.needMore) this.#events.onParseError(r, src);
  }

  /** A message over the configured size: refused with 513 when it can be answered (RFC 3261 §21.5.14). */
  #tooLarge(msg: SipMessage, len: number, src: Inbound): void {
    this.counters.oversize++;
    log.debug({ len, src: src.address }, 'message over maxMessageBytes refused');
    this.#events.onParseError({ ok: false, needMore: false, consumed: len, code: 'SSW_ERR_SIP_TOO_LARGE', status: 513, reason: `message of ${len} bytes is over the limit of ${this.#maxMessageBytes}`, partial: msg.isRequest ? msg : null }, src);
  }

  #onTcpAccept(socket: net.Socket, local: LocalAddress): void {
    const peer: Peer = { transport: 'tcp', address: normalizeIp(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const conn = new TcpConnection(socket, peer, local, true);
    this.#wireTcp(conn);
  }

  #connect(dest: Peer, local: LocalAddress): TcpConnection {
    const socket = net.connect({ host: dest.address, port: dest.port, localAddress: local.ip });
    const conn = new TcpConnection(socket, dest, local, false);
    socket.once('connect', () => conn.markConnected());
    this.#wireTcp(conn);
    return conn;
  }

  #wireTcp(conn: TcpConnection): void {
    const socket = conn.socket;
    this.counters.tcpConnections++;
    this.#tcpConns.set(conn.key, conn);
    socket.setNoDelay(true);
    socket.setTimeout(300_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.#onTcpData(conn, chunk));
    socket.on('error', (err) => log.debug({ err, peer: conn.peer }, 'tcp connection error'));
    socket.on('close', () => {
      conn.closed = true;
      conn.connectFailed();
      this.counters.tcpConnections--;
      if (this.#tcpConns.get(conn.key) === conn) this.#tcpConns.delete(conn.key);
    });
  }

  #onTcpData(conn: TcpConnection, chunk: Buffer): void {
    let buf = conn.append(chunk);
    for (;;) {
      if (buf.length === 0) return;
      const r = this.#parser.parseStream(buf);
      if (!r.ok && r.needMore) {
        if (conn.buffered > this.#maxMessageBytes) {
          // A frame that never ends within the limit: refuse by closing (no way to answer it).
          this.counters.oversize++;
          log.debug({ peer: conn.peer }, 'tcp frame over the size limit: closing');
          conn.socket.destroy();
        }
        return;
      }
      this.counters.tcpIn++;
      const src: Inbound = { transport: 'tcp', address: conn.peer.address, port: conn.peer.port, local: conn.local, conn };
      conn.consume(r.consumed);
      if (r.ok && r.consumed > this.#maxMessageBytes) {
        this.#tooLarge(r.msg, r.consumed, src);
        conn.socket.end();
        return;
      }
      if (r.ok) this.#events.onMessage(r.msg, src);
      else {
        this.#events.onParseError(r, src);
        // A framing error leaves the stream position unknown (RFC 4475 mcl01): close.
        if (r.code.includes('LENGTH') || r.code.includes('FRAME') || r.consumed <= 0) {
          conn.socket.end();
          return;
        }
      }
      if (conn.closed) return;
      buf = conn.pending;
    }
  }
}

function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
