// One keep-alive HTTP/1.1 connection to a backend: writes a request, parses its response, one exchange at a time.
import type net from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import { C2Error, C2_CODES } from './c2-errors.js'
import type { ExchangeConnection, ExchangeController } from './exchange-controller.js'
import { chunkSizeLine, formatRequestHead, LAST_CHUNK } from './request-head.js'
import { ResponseParser, type ResponseHead, type ResponseSink } from './response-parser.js'

/** The pool as its connections see it. */
export interface ConnectionOwner {
  /** the exchange ended cleanly and the connection may serve another (it keeps its own idle timer) */
  release(connection: BackendConnection): void
  /** the connection closed: drop it from the idle list */
  forget(connection: BackendConnection): void
}

/** What a connection needs to know of its pool: the timeouts it keeps, the Host it sends by default. */
export interface ConnectionSettings {
  /** the origin's host[:port], sent as Host when the request carries none */
  readonly host: string
  /** no response head this long after the last request byte was written → UPROXY_C2_HEAD_TIMEOUT */
  readonly headMs: number
  /** the backend silent this long between two pieces of a body → UPROXY_C2_READ_TIMEOUT; 0: no limit */
  readonly readMs: number
  /** an idle connection closes after this long (or sooner, when the backend's Keep-Alive says so) */
  readonly idleMs: number
}

/** A backend's Keep-Alive timeout is cut by this much, so uproxy gives up an idle socket before the backend does. */
const KEEP_ALIVE_MARGIN_MS = 1000

export class BackendConnection implements ResponseSink, ExchangeConnection {
  private readonly parser = new ResponseParser(this)
  private exchange: ExchangeController | undefined
  /** exchanges this connection completed: a close before any byte on a reused one is a stale keep-alive */
  private served = 0
  private headTimer: NodeJS.Timeout | undefined
  private readTimer: NodeJS.Timeout | undefined
  private idleTimer: NodeJS.Timeout | undefined
  /** the request body was written whole (or there was none) */
  private bodySent = true
  private stopBody: (() => void) | undefined
  /** the parser ended the response inside the read being parsed: completed after that read */
  private ended = false
  /** no byte of the current exchange's response has arrived yet */
  private awaitingFirstByte = false
  private trailers: string[] = []
  /** how long this connection may stay idle, from the backend's Keep-Alive hint; 0: do not reuse */
  private idleMs: number

  constructor(readonly socket: net.Socket, private readonly owner: ConnectionOwner, private readonly settings: ConnectionSettings) {
    this.idleMs = settings.idleMs
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)))
    socket.on('end', () => this.guard(() => this.onEof()))
    socket.on('error', (err: Error) => this.guard(() => this.failExchange(this.staleOr(err))))
    socket.on('close', () => this.guard(() => this.onClose()))
  }

  /** Writes `exchange`'s request (head in one write, body streamed) and waits for its response. */
  send(exchange: ExchangeController): void {
    clearTimeout(this.idleTimer)
    this.exchange = exchange
    exchange.connection = this
    const { method, path, headers, body } = exchange.request
    this.parser.start(method === 'HEAD')
    this.ended = false
    const { head, chunked } = formatRequestHead(method, path, headers, body !== null, this.settings.host)
    // the head is a byte string (one char a byte, as C1 keeps the client's bytes): Latin-1 writes those bytes
    this.socket.write(head, 'latin1')
    this.awaitingFirstByte = true
    exchange.handler.onRequestSent?.(exchange)
    this.headTimer = setTimeout(() => this.onHeadTimeout(), this.settings.headMs)
    this.bodySent = body === null
    if (body) this.streamBody(body, chunked)
  }

  /** The exchange's handler gave up on it: this connection is never reused. */
  drop(exchange: ExchangeController): void {
    if (this.exchange !== exchange) return
    this.detach()
    // the abort may come from inside a parser callback: nothing more of this read is delivered
    this.parser.halt()
    this.socket.destroy()
  }

  /** Closes the connection (idle, or at shutdown: its exchange fails when the close comes). */
  destroy(): void {
    this.socket.destroy()
  }

  onInformational(): void {
    // 1xx heads stop here: C1 has answered Expect itself, and uWS cannot send a 103 before the final head
  }

  onHead(head: ResponseHead): void {
    const exchange = this.exchange as ExchangeController
    clearTimeout(this.headTimer)
    const headers = toHeaderObject(head.headers)
    this.idleMs = head.keepAlive ? keepAliveMs(headers['keep-alive'], this.settings.idleMs) : 0
    if (this.settings.readMs > 0) this.readTimer = setTimeout(() => this.guard(() => this.onReadTimeout()), this.settings.readMs)
    exchange.handler.onResponseStart?.(exchange, head.status, headers, head.reason)
  }

  onBody(chunk: Buffer): void {
    const exchange = this.exchange as ExchangeController
    this.readTimer?.refresh()
    exchange.handler.onResponseData?.(exchange, chunk)
  }

  onEnd(trailers: string[]): void {
    this.ended = true
    this.trailers = trailers
  }

  private onData(chunk: Buffer): void {
    if (!this.exchange) {
      // bytes nobody asked for: the connection cannot be trusted with another exchange
      this.socket.destroy()
      return
    }
    if (this.awaitingFirstByte) {
      this.awaitingFirstByte = false
      this.exchange.handler.onFirstByte?.(this.exchange)
      if (!this.exchange) return
    }
    const err = this.parser.execute(chunk)
    if (err) return this.failExchange(err)
    if (this.ended && this.exchange) this.completeExchange()
  }

  private onEof(): void {
    if (!this.exchange) return
    const err = this.parser.finish()
    if (err) return this.failExchange(this.staleOr(err))
    if (this.ended) this.completeExchange()
  }

  private onClose(): void {
    clearTimeout(this.idleTimer)
    this.owner.forget(this)
    this.failExchange(new C2Error(C2_CODES.closed, 'the backend connection closed before the response was complete'))
  }

  private onReadTimeout(): void {
    // paused for a slow client, the silence is uproxy's own: wait on
    if (this.exchange?.paused) return void this.readTimer?.refresh()
    this.failExchange(new C2Error(C2_CODES.readTimeout, `the backend sent nothing for ${this.settings.readMs} ms mid-body`))
  }

  private onHeadTimeout(): void {
    this.failExchange(new C2Error(C2_CODES.headTimeout, `no response head within ${this.settings.headMs} ms`))
  }

  /** Streams the request body with Content-Length as given, or chunked; a full socket pauses C1. */
  private streamBody(body: NonNullable<ExchangeController['request']['body']>, chunked: boolean): void {
    const socket = this.socket
    const resumeBody = () => body.resume()
    const onData = (chunk: Buffer) => {
      if (chunk.length === 0) return
      if (chunked) {
        socket.cork()
        socket.write(chunkSizeLine(chunk.length))
        socket.write(chunk)
        socket.write('\r\n')
        socket.uncork()
      } else {
        socket.write(chunk)
      }
      // the backend is taking the request: the head timeout counts from the last byte sent
      this.headTimer?.refresh()
      if (socket.writableNeedDrain) {
        body.pause()
        socket.once('drain', resumeBody)
      }
    }
    const onEnd = () => {
      if (chunked) socket.write(LAST_CHUNK)
      this.headTimer?.refresh()
      this.bodySent = true
      this.stopBody?.()
    }
    body.on('data', onData)
    body.once('end', onEnd)
    this.stopBody = () => {
      this.stopBody = undefined
      body.off('data', onData)
      body.off('end', onEnd)
      socket.off('drain', resumeBody)
    }
  }

  /** The response ended: the connection goes back to the pool when nothing forbids it, then the handler hears. */
  private completeExchange(): void {
    const exchange = this.exchange as ExchangeController
    const reusable = this.parser.reusable && this.bodySent && this.idleMs > 0 && !this.socket.destroyed
    this.detach()
    this.ended = false
    if (reusable) {
      this.served++
      if (exchange.paused) this.socket.resume()
      this.idleTimer = setTimeout(() => this.socket.destroy(), this.idleMs).unref()
      this.owner.release(this)
    } else {
      this.socket.destroy()
    }
    exchange.succeed(toHeaderObject(this.trailers))
  }

  /** Ends the exchange with `err` and the connection with it. */
  private failExchange(err: Error): void {
    const exchange = this.exchange
    if (!exchange) return
    this.detach()
    this.parser.halt()
    this.socket.destroy()
    exchange.fail(err)
  }

  private detach(): void {
    clearTimeout(this.headTimer)
    this.headTimer = undefined
    clearTimeout(this.readTimer)
    this.readTimer = undefined
    this.stopBody?.()
    if (this.exchange) this.exchange.connection = undefined
    this.exchange = undefined
  }

  /** A reused connection that ends before any response byte: the backend had dropped it while idle. */
  private staleOr(err: Error): Error {
    if (this.served === 0 || this.parser.started) return err
    return new C2Error(C2_CODES.staleKeepAlive, 'the backend closed a reused keep-alive connection before answering', { cause: err })
  }

  /**
   * Runs a socket event's work. A handler that throws must not crash the process from a socket
   * callback: the exchange fails instead (and an error thrown while failing is dropped).
   */
  private guard(work: () => void): void {
    try {
      work()
    } catch (err) {
      try {
        this.failExchange(err instanceof Error ? err : new Error(String(err)))
      } catch {
        // onResponseError itself threw: the exchange is settled, nothing is left to tell
      }
    }
  }
}

/** Flat [name, value, …] → { name: value }, a repeated name becoming an array in order (as undici does). */
function toHeaderObject(flat: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = flat[i + 1] as string
    const prior = headers[name]
    if (prior === undefined) headers[name] = value
    else if (typeof prior === 'string') headers[name] = [prior, value]
    else prior.push(value)
  }
  return headers as IncomingHttpHeaders
}

/** The idle time a backend's `Keep-Alive: timeout=N` allows, less a margin, within the pool's own. */
function keepAliveMs(hint: string | string[] | undefined, poolMs: number): number {
  if (typeof hint !== 'string') return poolMs
  const match = /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(hint)
  if (!match) return poolMs
  return Math.max(0, Math.min(poolMs, Number(match[1]) * 1000 - KEEP_ALIVE_MARGIN_MS))
}
