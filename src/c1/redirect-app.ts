// --redirect-http: a plain-HTTP listener that answers every request with 308 to the HTTPS listener.
import type { TemplatedApp } from 'uWebSockets.js'
import type { Logs } from '../exchange/access-log.js'
import { toByteString } from './byte-string.js'
import { guardedRoute } from './guard.js'
import { formatClientAddress } from './client-address.js'
import type { Uws } from './native-uws.js'

/**
 * A uWS app that sends each request to the same path on https://HOST:PORT. 308, not 301:
 * the method and body are kept on the second try (RFC 9110 §15.4.9).
 * `httpsPort` is read per request: the HTTPS listener's real port is known only once it listens.
 */
export function createRedirectApp(uws: Uws, httpsPort: () => number, fallbackHost: string, logs: Logs): TemplatedApp {
  return uws.App().any('/*', guardedRoute((res, req) => {
    const startedAt = performance.now()
    const method = req.getCaseSensitiveMethod()
    const query = req.getQuery() ?? ''
    const path = query ? `${req.getUrl()}?${query}` : req.getUrl()
    const location = httpsLocation(req.getHeader('host'), httpsPort(), path, fallbackHost)
    const body = `Redirecting to ${location}\n`
    const headers: string[] = []
    if (logs.access) req.forEach((name, value) => void headers.push(name, toByteString(value)))
    res.cork(() => {
      res.writeStatus('308 Permanent Redirect').writeHeader('location', location).writeHeader('content-type', 'text/plain')
      res.end(body)
    })
    logs.access?.({
      method, target: path, status: 308, bytes: Buffer.byteLength(body), startedAt,
      clientAddress: formatClientAddress(res.getRemoteAddress()), headers, upstreams: [], backend: location,
    })
  }, logs.error))
}

/** https://HOST[:PORT]PATH, HOST taken from the client's Host without its port; 443 is left out. */
function httpsLocation(hostHeader: string, port: number, path: string, fallbackHost: string): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(hostHeader)
  const host = match ? match[1] : fallbackHost.includes(':') ? `[${fallbackHost}]` : fallbackHost
  return `https://${host}${port === 443 ? '' : `:${port}`}${path}`
}
