// The shape of one backend exchange as the pool runs it: undici's DispatchHandler shape, so C2 serves both.
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { C2Connection } from '../exchange/watcher.js'

/** The request C2 sends: headers flat [name, value, …] as request-headers.ts builds them. */
export interface C2Request {
  method: string
  path: string
  headers: string[]
  /** C1's body, streamed; null when the request has none */
  body: Readable | null
}

/** What the handler can do to its exchange (undici's DispatchController). */
export interface C2Controller {
  readonly aborted: boolean
  readonly paused: boolean
  readonly reason: Error | null
  /** ends the exchange at once: the backend connection is destroyed, onResponseError gets `reason` */
  abort(reason: Error): void
  /** stops reading the backend (C1 is slow) */
  pause(): void
  resume(): void
}

/** The callbacks of one exchange, in order: start, then a response start, data and end, or an error. */
export interface C2Handler {
  onRequestStart?(controller: C2Controller, context: unknown): void
  /** uproxy's HTTP/1.1 pool only: the exchange has its connection, new or reused */
  onConnection?(controller: C2Controller, connection: C2Connection): void
  /** uproxy's HTTP/1.1 pool only: the request head was written to the socket */
  onRequestSent?(controller: C2Controller): void
  /** uproxy's HTTP/1.1 pool only: the first byte of the response arrived */
  onFirstByte?(controller: C2Controller): void
  onResponseStart?(controller: C2Controller, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void
  onResponseData?(controller: C2Controller, chunk: Buffer): void
  onResponseEnd?(controller: C2Controller, trailers: IncomingHttpHeaders): void
  onResponseError?(controller: C2Controller, error: Error): void
}

/** Anything C2 can be dispatched on: uproxy's HTTP/1.1 pool, or undici's Pool for HTTP/2 backends. */
export interface C2Dispatcher {
  dispatch(request: C2Request, handler: C2Handler): unknown
  /** closes once the exchanges running have ended */
  close(): Promise<void>
  /** closes every connection now, failing what runs on them */
  destroy(): Promise<void>
}
