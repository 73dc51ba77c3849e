// A proxy in this thread: its uWS apps on every listener, the live targets, reload and shutdown.
import type { Registry } from 'prom-client'
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js'
import { createLogs, type Logs } from '../exchange/access-log.js'
import { createRedirectApp } from '../c1/redirect-app.js'
import { createC1App, type C1Context } from '../c1/c1-app.js'
import type { C1 } from '../c1/c1.js'
import { toConfig, type Listener, type OptionNamer, type ProxyConfig, type ProxyOptions } from '../config/config.js'
import { nameApiOption } from '../config/option-table.js'
import { InFlight, type Closable } from '../c1/in-flight.js'
import { ListenError, listenerUrl } from '../config/listen-address.js'
import { loadNativeUws, type Uws } from '../c1/native-uws.js'
import { ProxyTargets, type HealthLink } from '../routing/live-targets.js'
import { exchangePhases } from '../exchange/built-in-phases.js'
import type { Hooks } from '../exchange/hooks.js'
import { createEdge } from '../exchange/edge.js'
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js'
import { startInspector } from '../inspector/inspector-server.js'
import { Recorder } from '../inspector/recorder.js'

export { ListenError }
/** A running proxy. */
export interface Proxy {
  /** where C1 listens, with the real port: 'http://127.0.0.1:41234' */
  readonly url: string
  readonly port: number
  /** every listener's URL in the order of `listen` ('https://…' for TLS ones); `url` is the first */
  readonly urls: readonly string[]
  /** where Prometheus scrapes: 'http://127.0.0.1:9100/metrics'; undefined without the `metrics` option */
  readonly metricsUrl: string | undefined
  /** where the exchange inspector listens, with the real port; undefined when `inspect` is off */
  readonly inspectorUrl: string | undefined
  /**
   * Stops accepting connections at once, lets in-flight exchanges finish for up to the
   * grace period, answering with Connection: close meanwhile (a request already sent on a
   * keep-alive connection is answered, not reset), then closes every connection left.
   */
  close(): Promise<void>
  /**
   * Swaps in new routes, backends, policies and health settings without dropping a connection
   * or an exchange: exchanges under way finish on the old pools, which then close. Rejects
   * with ConfigError, keeping the old configuration, when `options` are invalid (named as
   * startProxy names them). Listen addresses, TLS certificates and workers stay as they were started.
   */
  reload(options: ProxyOptions, nameOption?: OptionNamer): Promise<void>
  /** Opens the `accessLog` file again by its name, as nginx does on SIGUSR1 once logrotate moved it. */
  reopenLogs(): void
}

/** How a worker process's proxy differs from a proxy alone (workers > 1). */
export interface WorkerEnv {
  /** each listener's port, bound once exclusively by the main process already: shared here with SO_REUSEPORT */
  readonly ports: readonly number[]
  /** lines go to the main process, which writes them */
  readonly logs: Logs
  /** the health of each new configuration, linked to the other workers' */
  readonly link: () => HealthLink
  /** the worker's metrics, which the main process sums and serves on the one metrics listener */
  readonly metrics: (registry: Registry) => void
  /** with `inspect`, the worker's exchanges, which the main process gathers on the one inspector listener */
  readonly recorder: Recorder | undefined
}

/**
 * Starts C1 on every listener of `config` in this thread, with `hooks` in every exchange.
 * Alone (no `worker`), it owns the port exclusively and writes its own log; in a worker, the
 * main process does both, and says the warnings once.
 */
export async function startThreadProxy(config: ProxyConfig, hooks: readonly Hooks[], nameOption: OptionNamer,
  worker?: WorkerEnv): Promise<Proxy> {
  const uws = loadNativeUws()
  // opens the access-log file, so a path that cannot be written fails before anything listens
  const logs = worker?.logs
    ?? createLogs({ quiet: config.quiet, format: config.accessLogFormat, file: config.accessLog, option: nameOption('accessLog') })
  if (config.insecure && !worker) logs.error('warning: certificate verification of https backends is OFF (--insecure)')
  const recorder = worker ? worker.recorder : config.inspect && new Recorder(config.inspect.buffer, config.inspect.secrets)
  const inspector = !worker && config.inspect && recorder ? await startInspector(config.inspect, recorder, logs.error) : undefined
  const inFlight = new InFlight<C1>()
  // the metrics read `live` when scraped, by then set
  const edge = await createEdge(config, logs.error, { inFlight: () => inFlight.size, backends: () => live.current.backendStates() })
  const extras = { edge, recorder }
  const live = { current: new ProxyTargets(config, logs.error, exchangePhases(config, hooks, logs, extras), worker?.link()) }
  const retiring = new Set<ProxyTargets>()
  const tunnels = new Set<Closable>()
  const context: C1Context = { config, live, logs, inFlight, tunnels }
  const apps = new Map<string, TemplatedApp>()
  const listenSockets: us_listen_socket[] = []
  const ports: number[] = []
  let httpsPort = 443
  // listen only once Redis is connected (or 2 s passed): the first requests would pass uncounted
  await edge.connected()
  try {
    // TLS listeners first: --redirect-http answers with the real port of the first one
    for (const i of listenOrder(config.listeners)) {
      const listener = config.listeners[i] as Listener
      const app = appFor(listener, apps, uws, context, () => httpsPort)
      const socket = await listen(app, listener.host, worker?.ports[i] ?? listener.port, worker ? SHARED_PORT : EXCLUSIVE_PORT)
      listenSockets.push(socket)
      ports[i] = uws.us_socket_local_port(socket)
      if (listener.tls && listenSockets.length === 1) httpsPort = ports[i] as number
    }
  } catch (err) {
    for (const socket of listenSockets) uws.us_listen_socket_close(socket)
    await Promise.all([live.current.destroy(), inspector?.close(), edge.close()])
    throw err
  }
  let metricsServer: MetricsServer | undefined
  try {
    if (edge.metrics && worker) worker.metrics(edge.metrics)
    else if (edge.metrics && config.metrics) metricsServer = await startMetricsServer(edge.metrics, config.metrics.host, config.metrics.port)
  } catch (err) {
    for (const socket of listenSockets) uws.us_listen_socket_close(socket)
    for (const app of apps.values()) (app as TemplatedApp & { close(): void }).close()
    await Promise.all([live.current.destroy(), inspector?.close(), edge.close()])
    throw err
  }
  const urls = Object.freeze(config.listeners.map((listener, i) => listenerUrl(listener, ports[i] as number)))
  let closing: Promise<void> | undefined
  return {
    url: urls[0] as string,
    port: ports[0] as number,
    urls,
    inspectorUrl: inspector ? inspector.url : undefined,
    metricsUrl: metricsServer?.url,
    close: () => (closing ??= shutdown(uws, [...apps.values()], listenSockets, inFlight, tunnels, [live.current, ...retiring], logs,
      live.current.config.graceMs).then(() => Promise.all([inspector?.close(), edge.close(), metricsServer?.close()])).then(() => {})),
    async reload(options, nameReloaded = nameApiOption) {
      if (closing) throw new Error('the proxy is shutting down')
      const next = toConfig(options, nameReloaded)
      if (!worker) warnStartOnly(config, next, logs.error)
      const old = live.current
      live.current = new ProxyTargets(next, logs.error, exchangePhases(next, hooks, logs, extras), worker?.link())
      retiring.add(old)
      void old.retire().then(() => retiring.delete(old))
    },
    reopenLogs: () => logs.reopen(),
  }
}

/** The lines a reload says about what it cannot change, and about --insecure newly on. */
export function warnStartOnly(started: ProxyConfig, next: ProxyConfig, logError: (line: string) => void): void {
  const startOnly = (c: ProxyConfig) =>
    JSON.stringify([c.listeners, c.tls, c.redirectHttp, c.quiet, c.accessLog, c.accessLogFormat, c.workers, c.inspect])
  if (startOnly(next) !== startOnly(started)) {
    logError('reload: listen addresses, TLS certificates, the access log, workers and the inspector change only on restart')
  }
  if (edgeOptions(next) !== edgeOptions(started)) logError('reload: the cache, compression, rate limit and metrics change only on restart')
  if (next.insecure && !started.insecure) logError('warning: certificate verification of https backends is OFF (--insecure)')
}

/** The options of the edge features, which are made once per proxy. */
function edgeOptions(c: ProxyConfig): string {
  return JSON.stringify([c.cacheBytes, c.cacheMaxObjectBytes, c.cacheRedis, c.compress, c.compressMinBytes,
    c.rateLimit, c.rateLimitBurst, c.trustProxy, c.redis, c.rateLimitFail, c.metrics])
}

/** One app per kind of listener, shared when two listeners are of one kind. */
function appFor(listener: Listener, apps: Map<string, TemplatedApp>, uws: Uws, context: C1Context,
  httpsPort: () => number): TemplatedApp {
  const kind = listener.tls ? 'https' : 'http'
  let app = apps.get(kind)
  if (!app) {
    app = listener.tls ? createC1App(uws, { ...context, proto: 'https' })
      : context.config.redirectHttp ? createRedirectApp(uws, httpsPort, redirectHost(context.config), context.logs)
      : createC1App(uws, context)
    apps.set(kind, app)
  }
  return app
}

/** Indexes of the listeners, TLS ones first. */
function listenOrder(listeners: readonly Listener[]): number[] {
  const indexes = listeners.map((_, i) => i)
  return [...indexes.filter((i) => listeners[i]?.tls), ...indexes.filter((i) => !listeners[i]?.tls)]
}

/** The host a redirect names when the client sent no usable Host. */
function redirectHost(config: ProxyConfig): string {
  const host = config.listeners.find((l) => l.tls)?.host ?? 'localhost'
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host
}

/** LIBUS_LISTEN_EXCLUSIVE_PORT: exported by uWS 20.30 but missing from its typings. */
export const EXCLUSIVE_PORT = 1
/** uWS's default: SO_REUSEPORT, so that every worker's listen socket takes a share of the connections. */
const SHARED_PORT = 0

/**
 * Listens on `app`. EXCLUSIVE_PORT refuses a port in use: uWS otherwise sets SO_REUSEPORT and
 * shares a port another process holds. SHARED_PORT is for workers, once the main process has
 * found the port free.
 */
export function listen(app: TemplatedApp, host: string, port: number, options: number): Promise<us_listen_socket> {
  type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void) => void
  return new Promise((resolve, reject) => {
    ;(app.listen as unknown as ListenWithOptions).call(app, host, port, options, (socket) => {
      if (socket) resolve(socket)
      else reject(new ListenError(`cannot listen on ${host}:${port}: the address is in use or not available`))
    })
  })
}

async function shutdown(uws: Uws, apps: TemplatedApp[], listenSockets: us_listen_socket[], inFlight: InFlight<C1>,
  tunnels: Set<Closable>, targets: ProxyTargets[], logs: Logs, graceMs: number): Promise<void> {
  for (const socket of listenSockets) uws.us_listen_socket_close(socket)
  inFlight.draining = true
  // a WebSocket never finishes by itself: both ends get 1001 Going Away at once
  for (const tunnel of [...tunnels]) tunnel.close()
  await inFlight.drain(graceMs)
  // uWS 20.30 has app.close() (closes every socket) but its typings lack it
  for (const app of apps) (app as TemplatedApp & { close(): void }).close()
  await Promise.all(targets.map((set) => set.destroy()))
  logs.flush()
}
