// The errors of uproxy's own HTTP/1.1 C2, each with a stable code that c2-failure and gateway-errors map.

/** The codes a C2 error carries; tables elsewhere decide status, retry and health by them. */
export const C2_CODES = {
  /** the TCP (or TLS) connection was not made within the connect timeout */
  connectTimeout: 'UPROXY_C2_CONNECT_TIMEOUT',
  /** no complete response head within the configured timeout after the request was sent */
  headTimeout: 'UPROXY_C2_HEAD_TIMEOUT',
  /** the backend sent nothing for the read timeout in the middle of a body */
  readTimeout: 'UPROXY_C2_READ_TIMEOUT',
  /** the backend's bytes are not a valid HTTP/1.1 response (or its head is too large) */
  invalidResponse: 'UPROXY_C2_INVALID_RESPONSE',
  /** the backend closed the connection before the response was complete */
  closed: 'UPROXY_C2_CLOSED',
  /** a WebSocket backend did not answer the opening handshake within the timeout */
  handshakeTimeout: 'UPROXY_WS_HANDSHAKE_TIMEOUT',
  /** a reused keep-alive connection closed or reset before any byte of the response: the backend had dropped it */
  staleKeepAlive: 'UPROXY_C2_STALE_KEEPALIVE',
} as const

export type C2Code = (typeof C2_CODES)[keyof typeof C2_CODES]

/** A C2 failure with one of C2_CODES; `cause` keeps the socket error it came from, if any. */
export class C2Error extends Error {
  constructor(readonly code: C2Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'C2Error'
  }
}
