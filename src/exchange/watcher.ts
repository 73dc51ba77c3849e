// The moments of an exchange between its phases (bytes, connections, first byte), for whoever watches them: the inspector.
import type { Exchange } from './hooks.js'

/** How C2 got its connection to the backend. */
export interface C2Connection {
  /** an idle keep-alive connection was taken (no connect, no handshake) */
  readonly reused: boolean
  /** ms from the connect call to the TCP connection; 0 when reused */
  readonly connectMs: number
  /** ms the TLS handshake took after TCP; undefined for a plain or reused connection */
  readonly tlsMs: number | undefined
}

/**
 * Observation points inside C1 and C2, finer than the phases and for reading only. A proxy
 * that nobody watches has none (`Phases.watcher` is undefined), and every point is one
 * `watcher?.` test. Each method runs synchronously in the socket event it reports: keep it short.
 */
export interface ExchangeWatcher {
  /** routing chose `prefix` ('/' for a host's every-other-path) */
  routed(exchange: Exchange, prefix: string): void
  /** C1 read `bytes` of the request body from the client */
  c1Body(exchange: Exchange, bytes: number): void
  /** C2 has a connection for the current attempt */
  c2Connection(exchange: Exchange, connection: C2Connection): void
  /** C2 wrote the request head to the backend's socket */
  c2HeadSent(exchange: Exchange): void
  /** the first byte of the backend's response arrived */
  c2FirstByte(exchange: Exchange): void
  /** `bytes` of response body arrived from the backend */
  c2Body(exchange: Exchange, bytes: number): void
  /** the backend's response ended whole */
  c2End(exchange: Exchange): void
  /** the current attempt failed with `code` (it may be retried) */
  c2Error(exchange: Exchange, code: string): void
}
