// The uWS app: copy each request out of uWS, check it, pick its backend, and open C2.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js'
import type { Logs } from './access-log.js'
import type { BackendPools } from './backend-pools.js'
import { c1RequestBody, hasRequestBody } from './c1-request-body.js'
import { C1, type C1Request } from './c1-response.js'
import { openC2 } from './c2-exchange.js'
import type { ProxyConfig } from './config.js'
import type { InFlight } from './in-flight.js'
import type { Uws } from './native-uws.js'
import { refuseRequest } from './request-framing.js'
import { c2RequestHeaders } from './request-headers.js'
import { backendPath, findRoute } from './route-table.js'

/** Everything the request handler needs, made once per proxy. */
export interface C1Context {
  readonly config: ProxyConfig
  readonly pools: BackendPools
  readonly logs: Logs
  readonly inFlight: InFlight<C1>
}

/** A uWS app that proxies every method and path. */
export function createC1App(uws: Uws, context: C1Context): TemplatedApp {
  return uws.App().any('/*', (res, req) => openExchange(res, req, context))
}

function openExchange(res: HttpResponse, req: HttpRequest, { config, pools, logs, inFlight }: C1Context): void {
  const request = copyRequest(res, req)
  const route = findRoute(config.routes, request.url)
  const backend = route ? route.backend : config.backend
  const c1 = new C1(res, request, backend, logs, inFlight)
  try {
    const refusal = refuseRequest(request.method, request.url, request.query, request.headers)
    if (refusal) return c1.refuse(refusal)
    openC2(c1, pools.get(backend), {
      method: request.method,
      path: backendPath(backend, request.url, request.query, route?.rewrite ? route.prefix : undefined),
      headers: c2RequestHeaders(request.headers, {
        clientAddress: request.clientAddress,
        proto: 'http',
        host: config.preserveHost ? '' : backend.host,
      }),
      body: hasRequestBody(request.headers) ? c1RequestBody(c1) : null,
    })
  } catch (err) {
    // never throw out of a uWS callback: the proxy keeps serving (STYLE.md, Errors)
    c1.fail(err as Error)
  }
}

/** HttpRequest is stack-allocated: copy everything before returning or awaiting (uWS docs). */
function copyRequest(res: HttpResponse, req: HttpRequest): C1Request {
  const headers: string[] = []
  req.forEach((name, value) => void headers.push(name, value))
  return {
    method: req.getCaseSensitiveMethod(),
    url: req.getUrl(),
    query: req.getQuery() ?? '',
    headers,
    clientAddress: clientAddress(res),
    startedAt: performance.now(),
  }
}

/** The peer address as text, IPv4-mapped IPv6 shown as plain IPv4 (as nginx logs it). */
function clientAddress(res: HttpResponse): string {
  const text = Buffer.from(res.getRemoteAddressAsText()).toString('latin1')
  return text.startsWith('::ffff:') ? text.slice(7) : text
}
