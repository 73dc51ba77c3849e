// An upgraded exchange: messages, pings and closes relayed between C1 (uWS) and C2 (ws), with backpressure.
import type { WebSocket as C1Socket } from 'uWebSockets.js'
import WebSocket from 'ws'
import { describeThrown, guarded } from '../c1/guard.js'
import type { Closable } from '../c1/in-flight.js'

/** The largest message relayed (uWS maxPayloadLength, ws maxPayload); a bigger one closes with 1009. */
export const MAX_MESSAGE = 64 * 1024 * 1024

/** Bytes waiting for the client above which the backend is paused (and resumed below it). */
const CLIENT_HIGH_WATER = 1024 * 1024

/**
 * Bytes waiting for the backend above which the tunnel is closed with 1013 (Try Again Later):
 * uWS 20.30 cannot pause reading a WebSocket, so a backend that stops reading is cut, not buffered for.
 */
const BACKEND_LIMIT = MAX_MESSAGE + 16 * 1024 * 1024

/** What uWS keeps on each client WebSocket. */
export interface TunnelData {
  tunnel: WebSocketTunnel
}

/**
 * Ties one client WebSocket to one backend WebSocket. Each hop answers its own pings with
 * pongs (uWS and ws both do); pings are relayed so either end can see the other is alive.
 */
export class WebSocketTunnel implements Closable {
  private client: C1Socket<TunnelData> | undefined
  /** the client side is closed or closing: uWS must not be touched again */
  private clientDone = false
  private backendPaused = false

  constructor(
    private readonly backend: WebSocket,
    private readonly tunnels: Set<Closable>,
    private readonly logError: (line: string) => void,
    /** called once, when the tunnel closes: the backend's load drops */
    private readonly onClosed: () => void,
  ) {
    tunnels.add(this)
    backend.on('message', this.guard((data: Buffer, isBinary: boolean) => this.toClient(data, isBinary)))
    backend.on('ping', this.guard((data: Buffer) => void (this.clientDone || this.client?.ping(data))))
    backend.on('close', this.guard((code: number, reason: Buffer) => this.backendClosed(code, reason)))
    // 'close' (1006) follows every error; the error itself is worth one line
    backend.on('error', (err: Error) => this.logError(`websocket ${backend.url}: ${err.message}`))
  }

  /** `fn` as a uWS or ws callback: should it throw (a bug), both sides are cut and one line says why. */
  guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return guarded(fn, (err) => {
      this.logError(`websocket ${this.backend.url}: internal error, tunnel closed: ${describeThrown(err)}`)
      this.closed()
      this.backend.terminate()
      try {
        this.dropClient()
      } catch {
        // uWS had closed the client socket already
      }
    })
  }

  /** uWS opened C1; it does so inside res.upgrade, before the backend can deliver a message. */
  clientOpened(client: C1Socket<TunnelData>): void {
    this.client = client
  }

  /** A client message: copied (uWS neuters it on return) and sent with its type. */
  fromClient(message: ArrayBuffer, isBinary: boolean): void {
    if (this.backend.readyState !== WebSocket.OPEN) return
    this.backend.send(Buffer.from(message.slice(0)), { binary: isBinary })
    if (this.backend.bufferedAmount > BACKEND_LIMIT) {
      this.logError(`websocket ${this.backend.url}: backend is not reading, ${this.backend.bufferedAmount} bytes waiting; closed`)
      this.closeClient(1013, 'backend too slow')
      this.backend.terminate()
    }
  }

  /** uWS says the client's socket drained: read from the backend again once below the mark. */
  clientDrained(client: C1Socket<TunnelData>): void {
    if (this.backendPaused && client.getBufferedAmount() < CLIENT_HIGH_WATER) {
      this.backendPaused = false
      this.backend.resume()
    }
  }

  clientPing(message: ArrayBuffer): void {
    if (this.backend.readyState === WebSocket.OPEN) this.backend.ping(Buffer.from(message.slice(0)))
  }

  /** The client closed (or uWS closed it): relay the code and reason to the backend. */
  clientClosed(code: number, message: ArrayBuffer): void {
    const relayed = this.clientDone
    this.clientDone = true
    this.client = undefined
    this.closed()
    if (relayed || this.backend.readyState === WebSocket.CLOSED || this.backend.readyState === WebSocket.CLOSING) return
    // 1006: the connection dropped without a close frame, so the backend's drops too
    if (code === 1006 || code === 0) return void this.backend.terminate()
    if (code === 1005) return void this.backend.close()
    try {
      this.backend.close(code, Buffer.from(message.slice(0)))
    } catch {
      // ws refuses codes an endpoint may not send (1015, 2999…): close without one
      this.backend.close()
    }
  }

  /** The tunnel is over (either side closed, or a bug cut it): it leaves the set, once. */
  private closed(): void {
    if (this.tunnels.delete(this)) this.onClosed()
  }

  /** Shutdown: both sides get 1001 Going Away. */
  close(): void {
    this.closeClient(1001, 'proxy shutting down')
    if (this.backend.readyState === WebSocket.OPEN) this.backend.close(1001, 'proxy shutting down')
    else this.backend.terminate()
  }

  private toClient(data: Buffer, isBinary: boolean): void {
    const client = this.client
    if (!client || this.clientDone) return
    // maxBackpressure is 0, so uWS buffers rather than drops; pause the backend instead
    client.send(data, isBinary)
    if (!this.backendPaused && client.getBufferedAmount() > CLIENT_HIGH_WATER) {
      this.backendPaused = true
      this.backend.pause()
    }
  }

  private backendClosed(code: number, reason: Buffer): void {
    this.closed()
    // 1006 and 1015 are never sent in a close frame (RFC 6455 §7.4.1): cut the client too
    if (code === 1006 || code === 1015) return this.dropClient()
    this.closeClient(code === 1005 ? undefined : code, reason)
  }

  private closeClient(code: number | undefined, reason: Buffer | string): void {
    const client = this.client
    if (!client || this.clientDone) return
    // uWS runs the close handler inside end(): mark first so it is not relayed back
    this.clientDone = true
    if (code === undefined) client.end()
    else client.end(code, reason)
  }

  private dropClient(): void {
    const client = this.client
    if (!client || this.clientDone) return
    this.clientDone = true
    client.close()
  }
}
