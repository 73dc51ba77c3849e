// What a C2 failure means, by error code, in one table: the status C1 answers, whether the exchange may go again, whether it counts against the backend.
import { C2_CODES } from './c2-errors.js'
import { errorCode } from './gateway-errors.js'

/** What one error code means. */
interface Meaning {
  /** what C1 answers while nothing was sent: 504 when the backend was too slow, else 502 */
  readonly status: 502 | 504
  /**
   * 'never-connected': nothing reached the backend, so any method without a body may go again;
   * 'broken-connection': a pooled connection broke, the same backend may be asked on a fresh one;
   * undefined: only an idempotent method without a body may go again
   */
  readonly retry?: 'never-connected' | 'broken-connection'
  /** counts against the backend's passive health (nginx's max_fails) */
  readonly backendFault: boolean
}

const refused: Meaning = { status: 502, retry: 'never-connected', backendFault: true }
const connectTimeout: Meaning = { status: 504, retry: 'never-connected', backendFault: true }
/** DNS or routing: the configuration's fault, not a passing one of the backend's */
const unreachable: Meaning = { status: 502, retry: 'never-connected', backendFault: false }
const reset: Meaning = { status: 502, retry: 'broken-connection', backendFault: true }
const timedOut: Meaning = { status: 504, backendFault: true }
const misbehaved: Meaning = { status: 502, backendFault: true }

/**
 * Every code C2 fails with: uproxy's HTTP/1.1 connection (UPROXY_C2_*), undici's for HTTP/2
 * (UND_ERR_*), the `ws` handshake for WebSockets (socket codes and UPROXY_WS_*), and Node's
 * socket errors. A code not listed (TLS verification, a hook that threw…) is a 502 that does
 * not count against the backend.
 */
const FAILURES: Readonly<Record<string, Meaning>> = {
  ECONNREFUSED: refused,
  [C2_CODES.connectTimeout]: connectTimeout,
  UND_ERR_CONNECT_TIMEOUT: connectTimeout,
  ENOTFOUND: unreachable,
  EAI_AGAIN: unreachable,
  EHOSTUNREACH: unreachable,
  ENETUNREACH: unreachable,
  ECONNRESET: reset,
  EPIPE: reset,
  UND_ERR_SOCKET: reset,
  // a keep-alive connection the backend dropped while idle: the race every keep-alive client loses now and then
  [C2_CODES.staleKeepAlive]: { status: 502, retry: 'broken-connection', backendFault: false },
  [C2_CODES.headTimeout]: timedOut,
  [C2_CODES.readTimeout]: timedOut,
  [C2_CODES.handshakeTimeout]: timedOut,
  UND_ERR_HEADERS_TIMEOUT: timedOut,
  UND_ERR_BODY_TIMEOUT: timedOut,
  ETIMEDOUT: timedOut,
  [C2_CODES.invalidResponse]: misbehaved,
  [C2_CODES.closed]: misbehaved,
}

const OTHER: Meaning = { status: 502, backendFault: false }

/** Methods that may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

function meaningOf(err: Error): Meaning {
  return FAILURES[errorCode(err)] ?? OTHER
}

/** 504 for a backend that was too slow, 502 for every other failure. */
export function gatewayStatus(err: Error): 502 | 504 {
  return meaningOf(err).status
}

/**
 * May an exchange that failed before any byte reached the client be sent again? Only without
 * a request body (it was streamed from C1 and is gone), and only for an idempotent method or
 * when the connection was never made.
 */
export function mayRetry(method: string, hasBody: boolean, err: Error): boolean {
  if (hasBody) return false
  return IDEMPOTENT.has(method) || meaningOf(err).retry === 'never-connected'
}

/** A pooled connection broke: the same backend may be asked again on a fresh one. */
export function isBrokenConnection(err: Error): boolean {
  return meaningOf(err).retry === 'broken-connection'
}

/** A reused keep-alive connection the backend had closed before any byte of the answer. */
export function isStaleKeepAlive(err: Error): boolean {
  return errorCode(err) === C2_CODES.staleKeepAlive
}

/**
 * Counts against the backend's passive health: it refused, reset, timed out, or sent an
 * invalid or cut-short response. A TLS or DNS misconfiguration is not a passing fault, a client
 * that left or sent what cannot be forwarded is no fault of the backend's, and neither is a
 * keep-alive connection it dropped while idle.
 */
export function isBackendFailure(err: Error): boolean {
  return meaningOf(err).backendFault
}
