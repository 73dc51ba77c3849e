// What a C2 failure means, by error code: may the exchange be sent again, does it count against the backend.
import { C2_CODES } from './c2-errors.js'
import { errorCode } from './gateway-errors.js'

/** Methods that may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** The connection was never established: nothing of the request reached the backend. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', C2_CODES.connectTimeout, 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH'])

/** The connection broke: the backend reset or closed it, maybe a pooled keep-alive socket it had dropped. */
const BROKEN = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', C2_CODES.staleKeepAlive])

/** The backend did not answer in time. */
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT', 'UND_ERR_BODY_TIMEOUT', C2_CODES.headTimeout, C2_CODES.readTimeout])

/** The backend answered wrongly or hung up without answering in full, on a connection it had just accepted. */
const MISBEHAVED = new Set<string>([C2_CODES.invalidResponse, C2_CODES.closed])

/**
 * May an exchange that failed before any byte reached the client be sent again? Only without
 * a request body (it was streamed from C1 and is gone), and only for an idempotent method or
 * when the connection was never established.
 */
export function mayRetry(method: string, hasBody: boolean, err: Error): boolean {
  if (hasBody) return false
  return IDEMPOTENT.has(method) || NOT_CONNECTED.has(errorCode(err))
}

/** A pooled connection broke: the same backend may be asked again on a fresh one. */
export function isBrokenConnection(err: Error): boolean {
  return BROKEN.has(errorCode(err))
}

/**
 * Counts against the backend's passive health (nginx's max_fails): it refused, reset, timed
 * out, or sent an invalid or cut-short response. A TLS or DNS misconfiguration is not a passing
 * fault, a client that left is no fault of the backend's, and neither is a keep-alive connection
 * it dropped while idle (the race every keep-alive client loses now and then; the retry counts).
 */
export function isBackendFailure(err: Error): boolean {
  const code = errorCode(err)
  if (code === C2_CODES.staleKeepAlive) return false
  return code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === C2_CODES.connectTimeout ||
    BROKEN.has(code) || TIMED_OUT.has(code) || MISBEHAVED.has(code)
}
