// Options a user gives (API, config file, flags) → one complete, frozen ProxyConfig.
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { parseAccessLogFormat, type AccessLogFormat } from '../exchange/access-log-format.js'
import { parseBackendList } from './backend-list.js'
import { parseBackend, type Backend } from './backend-url.js'
import { parsePolicyName, type PolicyName } from '../balancing/policy.js'
import { toHealthConfig, toRetries, toVhosts, type HealthConfig, type HostConfig, type VhostOption } from './host-config.js'
import { ConfigError } from './config-error.js'
import { toListeners, type ListenOption, type Listener } from './listen-address.js'
import { normalisePrefix, sortRoutes, type Route } from '../routing/route-table.js'
import { toTlsConfig, type SniOption, type TlsConfig } from './tls-config.js'
import type { VhostTable } from '../routing/vhost-table.js'

export { parseListen, type ListenOption, type Listener } from './listen-address.js'
export type { SniOption, TlsConfig } from './tls-config.js'
export type { HealthConfig, HostConfig, VhostOption } from './host-config.js'
export type { PolicyName } from '../balancing/policy.js'

/** A route as a user writes it. */
export interface RouteOption {
  /** path prefix, e.g. '/api'; matches '/api', '/api/…' and '/api?…', never '/apis' */
  prefix: string
  /** backend URL for this prefix, or several: 'http://a:1*3,http://b:2' or an array; `*N` is a weight */
  backend: string | string[]
  /** strip the prefix before forwarding (default: the top-level `rewrite`) */
  rewrite?: boolean
  /** speak HTTP/2 to this https:// backend (default: the top-level `backendH2`) */
  backendH2?: boolean
  /** how to choose among several backends (default: the top-level `balance`) */
  balance?: PolicyName
}

/** What a user may pass to startProxy() or put in a --config file. Every field is optional. */
export interface ProxyOptions {
  /**
   * where C1 listens; default { host: '0.0.0.0', port: 8000 }; port 0 picks a free one.
   * Several addresses listen on each; 'https://HOST:PORT' or { tls: true } serves TLS, 'http://…'
   * plain HTTP; with `tlsCert`, an address without a scheme is HTTPS when it is the last one.
   */
  listen?: ListenOption | ListenOption[]
  /** the default backend, or several ('http://a:1*3,http://b:2' or an array); default 'http://info.cern.ch' */
  backend?: string | string[]
  /** how to choose among several backends: round-robin (default), least-connections, ip-hash, two-random-choices */
  balance?: PolicyName
  /** backends chosen by the request's Host (port ignored; '*.example.com' wildcards) before path routes */
  vhosts?: Record<string, string | string[] | VhostOption>
  /** failures within `failWindow` that take a backend out for `failTimeout` (default 1) */
  maxFails?: number
  /** seconds in which `maxFails` failures count (default 10) */
  failWindow?: number
  /** seconds a failed backend stays out (default 10) */
  failTimeout?: number
  /** probe this path on every backend; 2xx/3xx is up, anything else down (default: no probes) */
  healthPath?: string
  /** seconds between probes (default 5) */
  healthInterval?: number
  /** other backends an exchange may be sent to when one fails before answering (default 1) */
  retries?: number
  /** path routes; the longest matching prefix wins, no match goes to `backend` */
  routes?: RouteOption[]
  /** strip the matched route prefix before forwarding (default false) */
  rewrite?: boolean
  /** forward the client's Host instead of the backend's (default false) */
  preserveHost?: boolean
  /** seconds to wait for backend response headers before answering 504 (default 60) */
  timeout?: number
  /** seconds a backend may stay silent between two pieces of a body before C1 is cut (default 60; 0: no limit) */
  readTimeout?: number
  /** seconds close() waits for in-flight exchanges (default 10) */
  grace?: number
  /** no access log (default false); wins over `accessLog` */
  quiet?: boolean
  /** write the access log to this file (appended; reopened by `reopenLogs()`) instead of stdout */
  accessLog?: string
  /** 'short' (default), 'combined' (nginx's, plus upstream address and time) or 'json' (one object a line) */
  accessLogFormat?: AccessLogFormat
  /** PEM files of extra CAs trusted for https:// backends, beside the system ones */
  ca?: string | string[]
  /** do not verify https:// backends' certificates (default false; logged as a warning) */
  insecure?: boolean
  /** PEM certificate (chain) file served to clients on https:// listeners */
  tlsCert?: string
  /** PEM private key file of `tlsCert` */
  tlsKey?: string
  /** passphrase of an encrypted `tlsKey` */
  tlsPassphrase?: string
  /** certificates per TLS server name (SNI); other names get `tlsCert` */
  sni?: Record<string, SniOption>
  /** answer plain-HTTP listeners with 308 to the https:// listener (default false) */
  redirectHttp?: boolean
  /** speak HTTP/2 to https:// backends, negotiated by ALPN (default false) */
  backendH2?: boolean
}

/** The validated configuration everything else reads. */
export interface ProxyConfig {
  /** the first of `listeners` */
  readonly listen: Listener
  readonly listeners: readonly Listener[]
  /** undefined: no https:// listener */
  readonly tls: TlsConfig | undefined
  readonly redirectHttp: boolean
  /** the first of `backends` */
  readonly backend: Backend
  readonly backends: readonly Backend[]
  readonly balance: PolicyName
  readonly routes: readonly Route[]
  /** hosts with their own backends and routes; other hosts get `backends` and `routes` */
  readonly vhosts: VhostTable<HostConfig>
  readonly health: HealthConfig
  readonly retries: number
  readonly preserveHost: boolean
  readonly timeoutMs: number
  /** 0: no limit */
  readonly readTimeoutMs: number
  readonly graceMs: number
  readonly quiet: boolean
  /** undefined: stdout */
  readonly accessLog: string | undefined
  readonly accessLogFormat: AccessLogFormat
  /** undefined: Node's default trust (system CAs plus NODE_EXTRA_CA_CERTS) */
  readonly ca: readonly (string | Buffer)[] | undefined
  readonly insecure: boolean
}

const DEFAULT_BACKEND = 'http://info.cern.ch'
const DEFAULT_LISTEN = '0.0.0.0:8000'

const OPTION_NAMES = new Set(['listen', 'backend', 'routes', 'rewrite', 'preserveHost', 'timeout', 'readTimeout', 'grace', 'quiet', 'ca', 'insecure',
  'tlsCert', 'tlsKey', 'tlsPassphrase', 'sni', 'redirectHttp', 'backendH2',
  'balance', 'vhosts', 'maxFails', 'failWindow', 'failTimeout', 'healthPath', 'healthInterval', 'retries',
  'accessLog', 'accessLogFormat'])

/** Validates options and fills in the defaults. Throws ConfigError naming the bad option. */
export function toConfig(options: ProxyOptions): ProxyConfig {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new ConfigError(`unknown option "${key}"`)
  }
  const rewrite = optionalBoolean(options.rewrite, 'rewrite') ?? false
  const h2 = optionalBoolean(options.backendH2, 'backendH2') ?? false
  const balance = options.balance === undefined ? 'round-robin' : parsePolicyName(options.balance, 'balance')
  const defaults = { rewrite, h2, balance }
  const main = toHost({ backend: options.backend ?? DEFAULT_BACKEND, routes: options.routes }, defaults, '')
  const vhosts = toVhosts(options.vhosts, (vhost, what) => toHost(vhost, defaults, what))
  const tls = toTlsConfig(options)
  const listeners = Object.freeze(toListeners(options.listen ?? DEFAULT_LISTEN, tls !== undefined))
  const redirectHttp = optionalBoolean(options.redirectHttp, 'redirectHttp') ?? false
  if (redirectHttp && !(listeners.some((l) => l.tls) && listeners.some((l) => !l.tls))) {
    throw new ConfigError('redirectHttp: needs an http:// and an https:// listen address (--listen twice)')
  }
  return Object.freeze({
    listen: listeners[0] as Listener,
    listeners,
    tls,
    redirectHttp,
    ...main,
    vhosts,
    health: toHealthConfig(options),
    retries: toRetries(options.retries),
    preserveHost: optionalBoolean(options.preserveHost, 'preserveHost') ?? false,
    timeoutMs: seconds(options.timeout ?? 60, 'timeout', false),
    readTimeoutMs: seconds(options.readTimeout ?? 60, 'readTimeout', true),
    graceMs: seconds(options.grace ?? 10, 'grace', true),
    quiet: optionalBoolean(options.quiet, 'quiet') ?? false,
    accessLog: optionalString(options.accessLog, 'accessLog'),
    accessLogFormat: options.accessLogFormat === undefined ? 'short' : parseAccessLogFormat(options.accessLogFormat, 'accessLogFormat'),
    ca: readCas(options.ca),
    insecure: optionalBoolean(options.insecure, 'insecure') ?? false,
  })
}

/** What a route or host takes from the top level unless it says otherwise. */
interface Defaults {
  readonly rewrite: boolean
  readonly h2: boolean
  readonly balance: PolicyName
}

/** The default host (`what` '') or a virtual host: its backends and its routes. */
function toHost(host: VhostOption, defaults: Defaults, what: string): HostConfig {
  const at = (name: string) => (what ? `${what}.${name}` : name)
  if (host.backend === undefined) throw new ConfigError(`${what}: want { backend, balance?, routes? }`)
  const backends = toBackends(host.backend, at('backend'), defaults.h2)
  const routes = host.routes ?? []
  if (!Array.isArray(routes)) throw new ConfigError(`${at('routes')}: want an array of { prefix, backend }`)
  return Object.freeze({
    backend: backends[0] as Backend,
    backends,
    balance: host.balance === undefined ? defaults.balance : parsePolicyName(host.balance, at('balance')),
    routes: sortRoutes(routes.map((route, i) => toRoute(route, defaults, `${at('routes')}[${i}]`))),
  })
}

function toRoute(route: RouteOption, defaults: Defaults, what: string): Route {
  if (typeof route !== 'object' || route === null) throw new ConfigError(`${what}: want { prefix, backend }`)
  const prefix = optionalString(route.prefix, `${what}.prefix`)
  if (prefix === undefined || route.backend === undefined) throw new ConfigError(`${what}: want { prefix, backend }`)
  const backends = toBackends(route.backend, what, optionalBoolean(route.backendH2, `${what}.backendH2`) ?? defaults.h2)
  return Object.freeze({
    prefix: normalisePrefix(prefix, what),
    backend: backends[0] as Backend,
    backends,
    balance: route.balance === undefined ? defaults.balance : parsePolicyName(route.balance, `${what}.balance`),
    rewrite: optionalBoolean(route.rewrite, `${what}.rewrite`) ?? defaults.rewrite,
  })
}

function toBackends(value: unknown, what: string, h2: boolean): readonly Backend[] {
  return parseBackendList(value, what, (text, at) => parseBackend(text, at, h2))
}

/** Every backend the configuration names, once each (by URL and protocol), default host first. */
export function configuredBackends(config: ProxyConfig): Backend[] {
  const hosts: HostConfig[] = [config, ...config.vhosts.exact.values(), ...config.vhosts.wildcards.map(([, host]) => host)]
  const found = new Map<string, Backend>()
  for (const host of hosts) {
    for (const list of [host.backends, ...host.routes.map((route) => route.backends)]) {
      for (const backend of list) found.set(`${backend.url} ${backend.h2}`, found.get(`${backend.url} ${backend.h2}`) ?? backend)
    }
  }
  return [...found.values()]
}

function seconds(value: unknown, what: string, zeroAllowed: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new ConfigError(`${what}: "${value}" is not a ${zeroAllowed ? 'non-negative' : 'positive'} number of seconds`)
  }
  return Math.round(value * 1000)
}

function readCas(ca: ProxyOptions['ca']): ProxyConfig['ca'] {
  if (ca === undefined) return undefined
  const files = Array.isArray(ca) ? ca : [ca]
  const extra = files.map((file, i) => {
    const name = optionalString(file, `ca[${i}]`) as string
    try {
      return readFileSync(name)
    } catch (err) {
      throw new ConfigError(`ca: cannot read "${name}" (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
    }
  })
  // Passing `ca` replaces Node's trust store, so keep the system roots beside the extra CAs.
  return Object.freeze([...rootCertificates, ...extra])
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw new ConfigError(`${what}: want a string, got ${JSON.stringify(value)}`)
}

function optionalBoolean(value: unknown, what: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value
  throw new ConfigError(`${what}: want true or false, got ${JSON.stringify(value)}`)
}
