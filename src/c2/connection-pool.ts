// The keep-alive HTTP/1.1 connections to one backend origin: idle list, new connections, close and destroy.
import type net from 'node:net'
import { BackendConnection, type ConnectionOwner, type ConnectionSettings } from './backend-connection.js'
import { connectSocket, socketTarget, type SocketTarget } from './backend-socket.js'
import { C2Error, C2_CODES } from './c2-errors.js'
import { ExchangeController } from './exchange-controller.js'
import type { C2Dispatcher, C2Handler, C2Request } from './exchange-handler.js'
import type { C2Connection } from '../exchange/watcher.js'

/** How a pool connects and how long it keeps things. */
export interface PoolOptions {
  /** no response head this long after the request was sent → 504 */
  readonly headTimeoutMs: number
  /** the backend silent this long mid-body → the exchange fails (nginx's proxy_read_timeout); 0: no limit */
  readonly readTimeoutMs?: number
  readonly connectTimeoutMs?: number
  /**
   * An idle connection closes after this long: below the usual backend keep-alive timeouts
   * (nginx 75 s, Node 5 s, Go and many load balancers 60 s), so uproxy gives up first.
   */
  readonly idleTimeoutMs?: number
  /** idle connections kept at most; more are closed as their exchanges end */
  readonly maxIdle?: number
  readonly ca?: readonly (string | Buffer)[] | undefined
  readonly rejectUnauthorized?: boolean
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_IDLE_TIMEOUT_MS = 4_000
const DEFAULT_MAX_IDLE = 512

const REUSED: C2Connection = Object.freeze({ reused: true, connectMs: 0, tlsMs: undefined })

/**
 * uproxy's own HTTP/1.1 client for one origin (`http://host:port` or `https://…`). Every
 * exchange gets a connection of its own: the most recently idle one, or a new one.
 */
export class ConnectionPool implements C2Dispatcher, ConnectionOwner {
  private readonly target: SocketTarget
  private readonly idle: BackendConnection[] = []
  private readonly open = new Set<BackendConnection>()
  private readonly connecting = new Set<net.Socket>()
  private readonly settings: ConnectionSettings
  private readonly maxIdle: number
  private active = 0
  private closed = false
  private whenIdle: (() => void) | undefined

  constructor(origin: string, options: PoolOptions) {
    this.target = socketTarget(origin, {
      connectTimeoutMs: Math.min(options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, options.headTimeoutMs),
      ca: options.ca,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
    })
    this.settings = {
      host: new URL(origin).host,
      headMs: options.headTimeoutMs,
      readMs: options.readTimeoutMs ?? 0,
      idleMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    }
    this.maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE
  }

  /** Exchanges under way (connecting, or sent and not yet answered in full). */
  get running(): number {
    return this.active
  }

  /** Idle keep-alive connections waiting for an exchange. */
  get idleCount(): number {
    return this.idle.length
  }

  /** Runs one exchange: `handler` hears onRequestStart, then the response or an error. */
  dispatch(request: C2Request, handler: C2Handler): boolean {
    this.active++
    const exchange = new ExchangeController(request, handler, () => this.onSettled())
    handler.onRequestStart?.(exchange, {})
    if (exchange.settled) return true
    if (this.closed) {
      exchange.fail(new C2Error(C2_CODES.closed, 'the backend pool is closed'))
      return true
    }
    const connection = this.takeIdle()
    if (!connection) this.connect(exchange)
    else {
      handler.onConnection?.(exchange, REUSED)
      // a watcher may abort the exchange (its hooks are user code): nothing is sent then
      if (!exchange.settled) connection.send(exchange)
    }
    return true
  }

  release(connection: BackendConnection): void {
    if (this.closed || this.idle.length >= this.maxIdle) return connection.destroy()
    this.idle.push(connection)
  }

  forget(connection: BackendConnection): void {
    this.open.delete(connection)
    const at = this.idle.lastIndexOf(connection)
    if (at >= 0) this.idle.splice(at, 1)
  }

  /** Takes no new exchanges; resolves once the running ones have ended, with every connection closed. */
  close(): Promise<void> {
    this.closed = true
    return new Promise((resolve) => {
      this.whenIdle = () => {
        for (const connection of [...this.open]) connection.destroy()
        resolve()
      }
      if (this.active === 0) this.whenIdle()
    })
  }

  /** Closes every connection now; exchanges running on them fail. */
  async destroy(): Promise<void> {
    this.closed = true
    for (const socket of [...this.connecting]) socket.destroy()
    for (const connection of [...this.open]) connection.destroy()
  }

  private takeIdle(): BackendConnection | undefined {
    // the most recently used first: the least likely to have been dropped by the backend
    let connection = this.idle.pop()
    while (connection && connection.socket.destroyed) connection = this.idle.pop()
    return connection
  }

  private connect(exchange: ExchangeController): void {
    const startedAt = performance.now()
    let tcpAt: number | undefined
    const socket = connectSocket(this.target, (err, connected) => {
      this.connecting.delete(connected)
      exchange.connecting = undefined
      if (err) return exchange.fail(err)
      if (exchange.settled || this.closed) {
        connected.destroy()
        return exchange.fail(new C2Error(C2_CODES.closed, 'the backend pool is closed'))
      }
      const connection = new BackendConnection(connected, this, this.settings)
      this.open.add(connection)
      if (exchange.handler.onConnection) {
        const now = performance.now()
        exchange.handler.onConnection(exchange, { reused: false, connectMs: (tcpAt ?? now) - startedAt, tlsMs: tcpAt === undefined ? undefined : now - tcpAt })
      }
      if (!exchange.settled) connection.send(exchange)
    })
    // a TLS socket says 'connect' when TCP is up, 'secureConnect' after the handshake
    if (this.target.tls && exchange.handler.onConnection) socket.once('connect', () => (tcpAt = performance.now()))
    exchange.connecting = socket
    this.connecting.add(socket)
  }

  private onSettled(): void {
    if (--this.active === 0) this.whenIdle?.()
  }
}
