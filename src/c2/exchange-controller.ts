// One exchange in the pool: the controller its handler holds, and the one place its outcome is delivered.
import type net from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import type { C2Controller, C2Handler, C2Request } from './exchange-handler.js'

/** The connection side of an exchange, as the controller drives it. */
export interface ExchangeConnection {
  readonly socket: net.Socket
  /** the handler gave up: destroy the connection, it is never reused */
  drop(exchange: ExchangeController): void
}

/**
 * The controller of one exchange. Its outcome reaches the handler exactly once: onResponseEnd
 * or onResponseError; `settled` is set before either is called, and `onSettled` tells the pool.
 */
export class ExchangeController implements C2Controller {
  aborted = false
  paused = false
  reason: Error | null = null
  settled = false
  /** the connection it runs on, once it has one */
  connection: ExchangeConnection | undefined
  /** the socket being opened for it, to destroy if the handler aborts meanwhile */
  connecting: net.Socket | undefined

  constructor(readonly request: C2Request, readonly handler: C2Handler, private readonly onSettled: () => void) {}

  abort(reason: Error): void {
    if (this.settled) return
    this.aborted = true
    this.reason = reason
    this.connection?.drop(this)
    this.connecting?.destroy()
    this.fail(reason)
  }

  pause(): void {
    this.paused = true
    this.connection?.socket.pause()
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.connection?.socket.resume()
  }

  /** The response is complete. */
  succeed(trailers: IncomingHttpHeaders): void {
    if (this.settled) return
    this.settled = true
    this.onSettled()
    this.handler.onResponseEnd?.(this, trailers)
  }

  /** The exchange failed or was aborted. */
  fail(err: Error): void {
    if (this.settled) return
    this.settled = true
    this.onSettled()
    this.handler.onResponseError?.(this, err)
  }
}
