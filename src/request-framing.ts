// C1 request checks that uWS's lenient parser leaves to us: ambiguous framing, head size, tunnels.

/** A request head over this many bytes is refused with 431, as nginx's large_client_header_buffers do. */
export const MAX_HEAD_BYTES = 64 * 1024

/** Why a request must be refused before it reaches a backend, or undefined when it is fine. */
export interface Refusal {
  status: 400 | 405 | 431
  reason: string
}

/**
 * Checks the copied head. uWS frames a request with two Content-Length values by the
 * first one, which would let the rest ride along as a smuggled request (RFC 9112 §6.3).
 */
export function refuseRequest(method: string, url: string, query: string, c1Headers: string[]): Refusal | undefined {
  // a reverse proxy does not open tunnels: undici would treat CONNECT as an upgrade (as nginx, 405)
  if (method === 'CONNECT') return { status: 405, reason: 'CONNECT is not proxied' }
  let size = method.length + url.length + query.length + 12
  let contentLengths = 0
  let chunked = false
  for (let i = 0; i < c1Headers.length; i += 2) {
    const name = c1Headers[i] as string
    const value = c1Headers[i + 1] as string
    size += name.length + value.length + 4
    if (name === 'content-length') {
      contentLengths++
      if (!/^\d+$/.test(value)) return { status: 400, reason: `bad Content-Length "${value}"` }
    } else if (name === 'transfer-encoding') {
      if (value.trim().toLowerCase() !== 'chunked') return { status: 400, reason: `unsupported Transfer-Encoding "${value}"` }
      chunked = true
    }
  }
  if (size > MAX_HEAD_BYTES) return { status: 431, reason: `request head of ${size} bytes is over ${MAX_HEAD_BYTES}` }
  if (contentLengths > 1) return { status: 400, reason: 'more than one Content-Length' }
  if (contentLengths === 1 && chunked) return { status: 400, reason: 'both Content-Length and Transfer-Encoding' }
  return undefined
}
