// Backend URLs: parse what the user wrote into the parts C2 needs.
import { ConfigError } from './config-error.js'

/** A configured backend: where it is, how C2 talks to it, and its share of its group. */
export interface Backend {
  /** normalised URL, as shown in logs: `http://127.0.0.1:8081/base` */
  readonly url: string
  /** scheme://host:port, the key of its keep-alive pool */
  readonly origin: string
  /** the `Host` header C2 sends: host[:port], the port omitted when it is the scheme's default */
  readonly host: string
  /** path prefix put before every forwarded path, '' when none (no trailing slash) */
  readonly basePath: string
  /** C2 offers HTTP/2 by ALPN (undici allowH2); only https:// backends can take it up */
  readonly h2: boolean
  /** relative share in its group, a whole number 1-1000, as nginx's `server … weight=N` */
  readonly weight: number
}

/**
 * Parses `http://host[:port][/path]`, `https://…`, or a bare `host:port` (meaning http), of
 * weight 1 (a list gives other weights). `what` names the argument in the error message.
 */
export function parseBackend(text: string, what: string, h2 = false): Backend {
  const withScheme = text.includes('://') ? text : `http://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new ConfigError(`${what}: "${text}" is not a URL (want http://host:port or https://host)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${what}: "${text}" must use http:// or https://`)
  }
  if (!url.hostname) throw new ConfigError(`${what}: "${text}" has no host`)
  if (url.username || url.password) {
    throw new ConfigError(`${what}: "${text}" carries credentials; uproxy does not forward them`)
  }
  if (url.search || url.hash) {
    throw new ConfigError(`${what}: "${text}" may not have a query or fragment`)
  }
  const basePath = url.pathname.replace(/\/+$/, '')
  return Object.freeze({
    url: url.origin + basePath,
    origin: url.origin,
    host: url.host,
    basePath,
    h2,
    weight: 1,
  })
}
