// C1 request checks that uWS's lenient parser leaves to us: framing, head size, Host, bytes, tunnels.
import { isIPv6 } from 'node:net'
import type { Hooks } from '../exchange/hooks.js'

/** A request head over this many bytes is refused with 431, as nginx's large_client_header_buffers do. */
export const MAX_HEAD_BYTES = 64 * 1024

/** The most characters of a Content-Length uWS 20.30 serves: 999,999,999 bytes. */
const MAX_LENGTH_DIGITS = 9

/** Why a request must be refused before it reaches a backend, or undefined when it is fine. */
export interface Refusal {
  status: 400 | 405 | 413 | 431
  reason: string
}

/**
 * host[:port] (RFC 9110 §7.2): a reg-name or IPv4 address (RFC 3986 §3.2.2), or an IPv6
 * literal in brackets, and a port of up to five digits (its range is checked apart).
 */
const HOST = /^(?:\[([0-9a-f:.]+)\]|[a-z0-9\-._~!$&'()*+,;=%]+)(?::(\d{0,5}))?$/i

/** A '%' in a reg-name starts a pct-encoded byte (RFC 3986 §2.1). */
const LONE_PERCENT = /%(?![0-9a-f]{2})/i

/**
 * Bytes a header value may not hold: controls but HTAB, and DEL (RFC 9110 §5.5), and
 * EF BF BD, which is U+FFFD, what uWS decodes a byte that is not UTF-8 to (0x80, 0xFF…):
 * the byte the client sent is lost, so the value cannot be forwarded as it was sent.
 */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|\xef\xbf\xbd/

/** Anything but HTAB and printable ASCII: one cheap scan, so that plain values skip BAD_VALUE. */
const UNUSUAL = /[^\t\x20-\x7e]/

/** The same for the request target as uWS decoded it: no controls, no space, no DEL, no lost byte. */
const BAD_TARGET = /[\x00-\x20\x7f\ufffd]/

/**
 * What the checks read of the head C1 copied (a C1Request): declared here rather than imported,
 * since c1.ts imports Refusal from this file and the two would import each other.
 */
interface CopiedHead {
  readonly method: string
  readonly url: string
  readonly query: string
  readonly c2Path: string | undefined
  readonly headers: readonly string[]
}

/**
 * Checks the copied head. uWS frames a request with two Content-Length values by the
 * first one, which would let the rest ride along as a smuggled request (RFC 9112 §6.3).
 */
export function refuseRequest(request: CopiedHead): Refusal | undefined {
  const { method, url, query, headers: c1Headers } = request
  // a reverse proxy does not open tunnels: undici would treat CONNECT as an upgrade (as nginx, 405)
  if (method === 'CONNECT') return { status: 405, reason: 'CONNECT is not proxied' }
  if (BAD_TARGET.test(url) || BAD_TARGET.test(query)) return { status: 400, reason: `${badByte(url + query)} in the request target` }
  if (request.c2Path === undefined) return { status: 400, reason: `"${url}" climbs above the root` }
  let size = method.length + url.length + query.length + 12
  let contentLengths = 0
  let chunked = false
  let hosts = 0
  for (let i = 0; i < c1Headers.length; i += 2) {
    const name = c1Headers[i] as string
    const value = c1Headers[i + 1] as string
    size += name.length + value.length + 4
    if (UNUSUAL.test(value) && BAD_VALUE.test(value)) return { status: 400, reason: `${badByte(value)} in header ${name}` }
    if (name === 'content-length') {
      contentLengths++
      if (!/^\d+$/.test(value)) return { status: 400, reason: `bad Content-Length "${value}"` }
      // uWS 20.30 drops the connection right after this handler when a Content-Length has ten
      // characters or more (uploads of 1 GB and up): refuse it before C2 sends anything on
      if (value.length > MAX_LENGTH_DIGITS) return { status: 413, reason: `Content-Length ${value} is over uWS's limit (under 1 GB)` }
    } else if (name === 'transfer-encoding') {
      if (value.trim().toLowerCase() !== 'chunked') return { status: 400, reason: `unsupported Transfer-Encoding "${value}"` }
      chunked = true
    } else if (name === 'host') {
      // routing reads one Host and X-Forwarded-Host another: two are refused (RFC 9112 §3.2)
      if (++hosts > 1) return { status: 400, reason: 'more than one Host' }
      if (!isHostPort(value)) return { status: 400, reason: `bad Host "${value}"` }
    }
  }
  if (size > MAX_HEAD_BYTES) return { status: 431, reason: `request head of ${size} bytes is over ${MAX_HEAD_BYTES}` }
  if (contentLengths > 1) return { status: 400, reason: 'more than one Content-Length' }
  if (contentLengths === 1 && chunked) return { status: 400, reason: 'both Content-Length and Transfer-Encoding' }
  return undefined
}

/** What BAD_VALUE or BAD_TARGET found, for the refusal line. */
function badByte(text: string): string {
  const control = /[\x00-\x08\x0a-\x1f\x7f]/.exec(text)
  if (control) return `control byte 0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')}`
  return 'a byte that is not UTF-8'
}

/** 'example.com', 'example.com:8080', '127.0.0.1', '[::1]:443'; not '', 'a b', 'x@y', 'x:99999'. */
function isHostPort(value: string): boolean {
  const match = HOST.exec(value)
  if (!match) return false
  if (match[1] !== undefined ? !isIPv6(match[1]) : value.includes('%') && LONE_PERCENT.test(value)) return false
  return match[2] === undefined || Number(match[2]) <= 65535
}

/** The built-in request phase: a request that fails the checks is answered here and its connection closed. */
export const requestChecks: Hooks = {
  c1Request({ request }) {
    const refusal = refuseRequest(request)
    return refusal && { status: refusal.status, close: true, reason: refusal.reason }
  },
}
