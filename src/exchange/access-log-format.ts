// One finished exchange → one access-log line: short (uproxy's own), combined (nginx/Apache) or json.
import { fromByteString } from '../c1/byte-string.js'
import { ConfigError } from '../config/config-error.js'

/** The access-log formats `--access-log-format` takes. */
export type AccessLogFormat = 'short' | 'combined' | 'json'

/** Every format name, in the order `--help` lists them. */
export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = ['short', 'combined', 'json']

/** Checks a format name from the options; `what` names the option in the error. */
export function parseAccessLogFormat(value: unknown, what: string): AccessLogFormat {
  if (ACCESS_LOG_FORMATS.includes(value as AccessLogFormat)) return value as AccessLogFormat
  throw new ConfigError(`${what}: want one of ${ACCESS_LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`)
}

/** One attempt on a backend: its origin and how long it took, as nginx's $upstream_response_time. */
export interface Upstream {
  /** scheme://host[:port] */
  readonly origin: string
  readonly ms: number
}

/** What the access log says about one exchange. */
export interface AccessEntry {
  readonly method: string
  /** the path and query the client asked for */
  readonly target: string
  readonly status: number
  /** bytes of the response body sent, including the answers uproxy writes itself */
  readonly bytes: number
  /** performance.now() when the request arrived */
  readonly startedAt: number
  readonly clientAddress: string
  /** the request's headers, flat: [name, value, …], names lowercase */
  readonly headers: readonly string[]
  /** the backends tried, in order; empty when uproxy answered by itself (a refusal, a redirect) */
  readonly upstreams: readonly Upstream[]
  /** the short format's last field: the backend, with the attempts that failed before it */
  readonly backend: string
}

/** Formats `entry` as one line (without the newline); `now` is the wall-clock time it ended. */
export function formatAccessEntry(format: AccessLogFormat, entry: AccessEntry, now: number = Date.now()): string {
  const ms = performance.now() - entry.startedAt
  if (format === 'short') return `${entry.method} ${entry.target} ${entry.status} ${entry.bytes}B ${ms.toFixed(1)}ms ${entry.backend}`
  const referer = header(entry.headers, 'referer')
  const userAgent = header(entry.headers, 'user-agent')
  if (format === 'json') {
    return JSON.stringify({
      time: new Date(now).toISOString(),
      client: entry.clientAddress,
      method: entry.method,
      host: header(entry.headers, 'host') ?? null,
      path: entry.target,
      status: entry.status,
      bytes: entry.bytes,
      duration_ms: Number(ms.toFixed(3)),
      referer: referer ?? null,
      user_agent: userAgent ?? null,
      upstream_addr: entry.upstreams.map((u) => upstreamAddress(u.origin)),
      upstream_response_ms: entry.upstreams.map((u) => Number(u.ms.toFixed(3))),
    })
  }
  // nginx's combined format, then $upstream_addr $upstream_response_time (ngx_http_log_module, ngx_http_upstream_module)
  const upstreams = entry.upstreams.length === 0 ? '- -'
    : `${entry.upstreams.map((u) => upstreamAddress(u.origin)).join(', ')} ${entry.upstreams.map((u) => (u.ms / 1000).toFixed(3)).join(', ')}`
  return `${entry.clientAddress} - - [${timeLocal(now)}] "${escape(entry.method)} ${escape(entry.target)} HTTP/1.1" ` +
    `${entry.status} ${entry.bytes} "${escape(referer ?? '-')}" "${escape(userAgent ?? '-')}" ${upstreams}`
}

/** The first value of request header `name` (lowercase) as text, or undefined; C1 keeps headers as byte strings. */
function header(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return fromByteString(headers[i + 1] as string)
  return undefined
}

/** 'http://10.0.0.2' → '10.0.0.2:80': nginx's $upstream_addr always has the port. */
function upstreamAddress(origin: string): string {
  const https = origin.startsWith('https:')
  const hostPort = origin.slice(https ? 8 : 7)
  return /:\d+$/.test(hostPort) ? hostPort : `${hostPort}:${https ? 443 : 80}`
}

/**
 * nginx's escape=default: `"`, `\`, and every byte below 0x20 or above 0x7e as \xHH, so a
 * field never breaks out of its quotes or its line.
 */
function escape(text: string): string {
  if (/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(text)) return text
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x22 || byte === 0x5c ? `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`
      : String.fromCharCode(byte)
  }
  return out
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
let cachedSecond = -1
let cachedTime = ''

/** nginx's $time_local, '03/Dec/2026:01:54:17 +0100', made once per second. */
function timeLocal(now: number): string {
  const second = Math.floor(now / 1000)
  if (second === cachedSecond) return cachedTime
  const d = new Date(second * 1000)
  const two = (n: number) => String(n).padStart(2, '0')
  const offset = -d.getTimezoneOffset()
  const zone = `${offset < 0 ? '-' : '+'}${two(Math.floor(Math.abs(offset) / 60))}${two(Math.abs(offset) % 60)}`
  cachedSecond = second
  cachedTime = `${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())} ${zone}`
  return cachedTime
}
