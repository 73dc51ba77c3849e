// The uWS app: copy each request out of uWS, check it, pick its backend, and open C2.
import type { AppOptions, HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t } from 'uWebSockets.js'
import type { Logs } from '../exchange/access-log.js'
import { guardedRoute } from './guard.js'
import { percentEncodeNonAscii, toByteString } from './byte-string.js'
import { c1RequestBody, hasRequestBody } from './request-body.js'
import { C1, type C1Request } from './c1.js'
import { c1WebSocketBehavior } from '../websocket/c1-behavior.js'
import { formatClientAddress } from './client-address.js'
import { openC2 } from '../c2/c2.js'
import { openC2WebSocket } from '../websocket/c2-handshake.js'
import type { ProxyConfig } from '../config/config.js'
import type { ProxyTargets, RouteMatch } from '../routing/live-targets.js'
import type { Member } from '../balancing/member.js'
import type { Closable, InFlight } from './in-flight.js'
import { withoutNativeStdout } from './native-stdout.js'
import type { Uws } from './native-uws.js'
import type { Readable } from 'node:stream'
import type { Answer } from '../exchange/hooks.js'
import { c2RequestHead } from '../exchange/c2-request.js'
import { c2Path, c2Query } from './request-target.js'
import type { CertificateFiles } from '../config/tls-config.js'

/** Everything the request handler needs, made once per proxy. */
export interface C1Context {
  /** the configuration the proxy started with: its listeners and TLS certificates */
  readonly config: ProxyConfig
  /** the routes, pools and groups of the configuration in force; a reload swaps `current` */
  readonly live: { current: ProxyTargets }
  readonly logs: Logs
  readonly inFlight: InFlight<C1>
  /** open WebSocket tunnels, closed with 1001 at shutdown */
  readonly tunnels: Set<Closable>
  /** 'https' for an SSLApp: the X-Forwarded-Proto C2 sends (default 'http') */
  readonly proto?: 'http' | 'https'
}

/**
 * A uWS app that proxies every method and path, and WebSocket upgrades. With proto 'https'
 * it is an SSLApp serving the configured certificate, and one per SNI server name.
 */
export function createC1App(uws: Uws, context: C1Context): TemplatedApp {
  const tls = context.config.tls
  if (context.proto !== 'https' || !tls) return attachExchanges(uws.App(), context)
  const app = attachExchanges(uws.SSLApp(appOptions(tls.defaultCertificate)), context)
  for (const sni of tls.sni) {
    // a server name without its own routes has its requests reset (uWS 20.30, measured)
    app.addServerName(sni.name, appOptions(sni))
    attachExchanges(withoutNativeStdout(() => app.domain(sni.name)), context)
  }
  return app
}

function attachExchanges(app: TemplatedApp, context: C1Context): TemplatedApp {
  const logError = context.logs.error
  return app
    .ws('/*', c1WebSocketBehavior(guardedRoute((res, req, socketContext) => upgradeExchange(res, req, socketContext, context), logError)))
    .any('/*', guardedRoute((res, req) => openExchange(res, req, context), logError))
}

function appOptions(files: CertificateFiles): AppOptions {
  return {
    cert_file_name: files.cert,
    key_file_name: files.key,
    ...(files.passphrase ? { passphrase: files.passphrase } : {}),
  }
}

function openExchange(res: HttpResponse, req: HttpRequest, context: C1Context): void {
  runExchange(res, req, context, openHttpC2, readBody)
}

/** C2 for a plain HTTP exchange, with C1's body when the request has one. */
function openHttpC2(c1: C1, route: RouteMatch, member: Member): void {
  openC2(c1, route, member, readBody(c1))
}

/**
 * C1's body for C2, made once: uWS drops body bytes that arrive before onData is set, so a
 * request phase that waits has it read first.
 */
function readBody(c1: C1): Readable | null {
  return (c1.body ??= hasRequestBody(c1.request.headers) ? c1RequestBody(c1) : null)
}

/** A WebSocket upgrade: routed like any request, then C2 opens a WebSocket to the backend. */
function upgradeExchange(res: HttpResponse, req: HttpRequest, socketContext: us_socket_context_t, context: C1Context): void {
  const secWebSocketKey = req.getHeader('sec-websocket-key')
  runExchange(res, req, context, (c1, route, member, targets) => {
    const backend = member.backend
    c1.attempting(backend)
    const head = c2RequestHead(c1, backend, route.strip, targets.phases)
    openC2WebSocket(c1, {
      // ws:// for http://, wss:// for https://, with the same TLS rules
      url: backend.origin.replace(/^http/, 'ws') + percentEncodeNonAscii(head.path),
      headers: head.headers,
      secWebSocketKey,
      socketContext,
      member,
    }, targets.config, context.tunnels, context.logs.error)
  })
}

/**
 * One exchange's C1, up to its C2: the request copied, the request phase (which may answer
 * before any backend is picked, so a refused request takes no balancing turn), routing and
 * balancing, then `openC2For`. Whatever throws ends the exchange with a 502, not the proxy.
 */
function runExchange(res: HttpResponse, req: HttpRequest, { live, logs, inFlight, proto }: C1Context,
  openC2For: (c1: C1, route: RouteMatch, member: Member, targets: ProxyTargets) => void, readBody?: (c1: C1) => void): void {
  const targets = live.current
  const c1 = new C1(res, copyRequest(res, req), proto ?? 'http', targets.phases, { logError: logs.error, inFlight })
  let answer
  try {
    answer = targets.phases.c1Request(c1)
  } catch (err) {
    return c1.fail(err as Error)
  }
  if (!(answer instanceof Promise)) return routeExchange(c1, answer, targets, openC2For)
  readBody?.(c1)
  answer.then(c1.guard((settled: Answer | undefined) => routeExchange(c1, settled, targets, openC2For)),
    c1.guard((err: Error) => c1.fail(err)))
}

/** After the request phase: its answer, or routing, balancing and `openC2For`; a throw is a 502. */
function routeExchange(c1: C1, answer: Answer | undefined, targets: ProxyTargets,
  openC2For: (c1: C1, route: RouteMatch, member: Member, targets: ProxyTargets) => void): void {
  try {
    if (c1.done) return
    if (answer) return c1.answer(answer)
    const { request } = c1
    const route = targets.find(request.c2Path as string, request.headers)
    c1.route = route.prefix
    targets.phases.watcher?.routed(c1, route.prefix)
    openC2For(c1, route, route.group.pick(request.clientAddress), targets)
  } catch (err) {
    c1.fail(err as Error)
  }
}

/** HttpRequest is stack-allocated: copy everything before returning or awaiting (uWS docs). */
function copyRequest(res: HttpResponse, req: HttpRequest): C1Request {
  const headers: string[] = []
  // uWS decodes the client's bytes as UTF-8; C2 writes Latin-1: keep the bytes as they came
  req.forEach((name, value) => void headers.push(name, toByteString(value)))
  const url = req.getUrl()
  const query = req.getQuery() ?? ''
  return {
    method: req.getCaseSensitiveMethod(),
    url,
    query,
    c2Path: c2Path(url),
    c2Query: c2Query(url, query),
    headers,
    clientAddress: formatClientAddress(res.getRemoteAddress()),
    startedAt: performance.now(),
  }
}
