// The phases of an exchange as user code sees them: one optional method per phase, the built-ins use the same.
import type { IncomingHttpHeaders } from 'node:http'
import type { Backend } from '../config/backend-url.js'

/** What C1 copied out of the uWS HttpRequest (which is only valid inside its handler). */
export interface C1Request {
  readonly method: string
  /** the path as uWS decoded it (UTF-8 text), for log lines */
  readonly url: string
  /** the query as uWS decoded it, '' when none, for log lines */
  readonly query: string
  /** the path routes match and C2 forwards, as bytes, dot-segments removed; undefined when it climbs above the root */
  readonly c2Path: string | undefined
  /** the query C2 forwards, as bytes, without a fragment */
  readonly c2Query: string
  /** flat [name, value, …]: lowercase names, values as the bytes the client sent (byte strings, one char a byte) */
  readonly headers: string[]
  readonly clientAddress: string
  /** performance.now() when C1 copied the request */
  readonly startedAt: number
}

/** One exchange, C1 and C2, as hooks see it. Read-only: a phase changes what it is handed. */
export interface Exchange {
  /** increases by one per exchange of this process */
  readonly id: number
  readonly request: C1Request
  /** the scheme C1 was reached by */
  readonly proto: 'http' | 'https'
  /** the backend of the current attempt; undefined in the request phase, before any is picked */
  readonly backend: Backend | undefined
  /** the response ended or the client left: nothing more will be written */
  readonly done: boolean
  /** the prefix of the route the request matched ('/' for the default backends); undefined before routing */
  readonly route: string | undefined
}

/** What a request phase answers with instead of asking a backend. */
export interface Answer {
  status: number
  /** an array value is one header line per element */
  headers?: Record<string, string | string[] | undefined>
  body?: string | Buffer
  /**
   * the answer stands for a backend's response (a cache hit): the response phases run on it as
   * on one from a backend, and it ends `complete`, not `refused`; its headers include `content-length`
   */
  stored?: boolean
  /** close the connection after the answer (framing errors: bytes behind the head are never parsed) */
  close?: boolean
  /** one stderr line: why the request was answered here */
  reason?: string
}

/** The request C2 is about to send; a phase may change any of it. */
export interface C2RequestHead {
  method: string
  /** path and query, as bytes (one char a byte), the backend's base path included */
  path: string
  /** flat [name, value, …], lowercase names, values as byte strings */
  headers: string[]
  /** the backend it goes to */
  readonly backend: Backend
}

/** The backend's answer as it reaches C1; a phase may change any of it. */
export interface C2ResponseHead {
  status: number
  /** the backend's reason phrase, or undefined for the standard one */
  statusText: string | undefined
  /** values as byte strings; delete `content-length` when a body phase changes the length */
  headers: IncomingHttpHeaders
}

/** How an exchange ended. */
export type Outcome =
  | 'complete' // the response went out whole
  | 'client-gone' // the client closed before the end
  | 'backend-error' // C2 failed: refused, reset, TLS, an invalid response
  | 'timeout' // the backend did not answer (504) or stalled mid-body
  | 'refused' // the request phase answered: a framing check, or a hook
  | 'upgraded' // a WebSocket: the tunnel owns the connection now
  | 'internal-error' // a bug or a hook that threw

/** One backend attempt that failed before the one that answered. */
export interface FailedAttempt {
  readonly backend: Backend
  /** the error code, or 'failed' */
  readonly code: string
  readonly ms: number
}

/** The figures of a finished exchange. */
export interface ExchangeEnd {
  readonly outcome: Outcome
  /** the status C1 sent (499 when the client left before any), 0 for none */
  readonly status: number
  /** body bytes written to the client */
  readonly bytes: number
  /** body bytes read from the client */
  readonly bytesIn: number
  /** ms from the request's copy to the end */
  readonly ms: number
  /** ms the last attempt took, from its start to the end; 0 when no backend was asked */
  readonly backendMs: number
  /** attempts that failed before the last one (retries on another backend) */
  readonly retried: readonly FailedAttempt[]
}

/**
 * An object with one method per phase, all optional; `startProxy({ hooks: [...] })` runs them in
 * order, after uproxy's own (which use this same interface). A method that throws ends its
 * exchange — 502 while nothing was sent to the client, a cut connection after — with one stderr
 * line; the proxy keeps serving. Methods run synchronously on the event loop: keep them short.
 */
export interface Hooks {
  /**
   * request: C1 has the request head, no backend is picked yet. Return an Answer to reply
   * without a backend (nothing else runs but `end`), or nothing to go on. The request body,
   * if any, is not read yet. A hook that must wait (a rate-limit store, a cache fill under way)
   * returns a promise of the same: the hooks after it run once it settles, the body waits
   * (buffered up to a stream's high-water mark, then the client is paused), and a client that
   * leaves meanwhile ends the exchange.
   */
  c1Request?(exchange: Exchange): Answer | undefined | void | Promise<Answer | undefined | void>
  /** backend request: C2's method, path and headers, about to go out (once per attempt). */
  c2Request?(exchange: Exchange, request: C2RequestHead): void
  /** response head: the backend's status and headers, before any byte reaches the client. */
  c2ResponseHead?(exchange: Exchange, head: C2ResponseHead): void
  /**
   * response body: each chunk as it streams, and once more with an empty chunk and `last` at
   * the end; return what to write in its place (undefined or empty: nothing now). Backpressure
   * applies to what is returned. Change the length only if `content-length` was deleted. A
   * promise (a zlib stream's flush) holds the backend's reads until it settles; chunks keep
   * their order.
   */
  c2ResponseBody?(exchange: Exchange, chunk: Buffer, last: boolean): Buffer | undefined | Promise<Buffer | undefined>
  /** end: the exchange is over; its outcome and figures. Runs for every exchange, once. */
  end?(exchange: Exchange, end: ExchangeEnd): void
}
