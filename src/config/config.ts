// Options a user gives (API, config file, flags) → one complete, frozen ProxyConfig.
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import type { AccessLogFormat } from '../exchange/access-log-format.js'
import { parseBackendList } from './backend-list.js'
import { parseBackend, type Backend } from './backend-url.js'
import { parsePolicyName, type PolicyName } from '../balancing/policy.js'
import { healthKey } from '../balancing/member.js'
import { toVhosts, type FieldNamer, type HealthConfig, type HostConfig, type RouteOption, type VhostOption } from './host-config.js'
import { ConfigError } from './config-error.js'
import { parseListen, toListeners, type Listener } from './listen-address.js'
import { toInspectConfig, type InspectConfig } from './inspect-config.js'
import type { CheckedKind, NameAt, Rate } from './option-kind.js'
import { nameApiOption, OPTIONS, type OptionKey, type OptionNamer, type OptionSpec, type ProxyOptions } from './option-table.js'
import { normalisePrefix, sortRoutes, type Route } from '../routing/route-table.js'
import { toTlsConfig, type TlsConfig } from './tls-config.js'
import type { VhostTable } from '../routing/vhost-table.js'

export { parseListen, type ListenOption, type Listener } from './listen-address.js'
export type { SniOption, TlsConfig } from './tls-config.js'
export type { HealthConfig, HostConfig, RouteOption, VhostOption } from './host-config.js'
export type { InspectConfig } from './inspect-config.js'
export type { PolicyName } from '../balancing/policy.js'
export type { OptionNamer, ProxyOptions } from './option-table.js'

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
  /** worker processes serving C1; 1: this process serves, alone */
  readonly workers: number
  /** undefined: no inspector */
  readonly inspect: InspectConfig | undefined
  /** the response cache's size in bytes; undefined: no cache */
  readonly cacheBytes: number | undefined
  readonly cacheMaxObjectBytes: number
  /** undefined: the cache in this process's memory */
  readonly cacheRedis: string | undefined
  readonly compress: boolean
  readonly compressMinBytes: number
  /** undefined: no rate limit */
  readonly rateLimit: Rate | undefined
  readonly rateLimitBurst: number
  readonly trustProxy: boolean
  /** undefined: rate-limit counters in this process */
  readonly redis: string | undefined
  readonly rateLimitFail: 'open' | 'closed'
  /** where /metrics listens; undefined: no metrics */
  readonly metrics: { readonly host: string; readonly port: number } | undefined
}

/** The options whose kind checks them alone, and what the check gives. */
type CheckedKey = { [K in OptionKey]: (typeof OPTIONS)[K]['kind'] extends CheckedKind<unknown, unknown> ? K : never }[OptionKey]
type Checked<K extends CheckedKey> = (typeof OPTIONS)[K]['kind'] extends CheckedKind<unknown, infer C> ? C : never

/**
 * Validates options and fills in the defaults from the option table. Throws ConfigError
 * naming the bad option through `name` (default: its API name, 'routes[0]').
 */
export function toConfig(options: ProxyOptions, name: OptionNamer = nameApiOption): ProxyConfig {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(OPTIONS, key)) throw new ConfigError(`unknown option "${key}"`)
  }
  const read = <K extends CheckedKey>(key: K): Checked<K> => {
    const spec = OPTIONS[key] as OptionSpec<CheckedKind<unknown, Checked<K>>>
    // only undefined is absent: a --config file's null is a mistake to report
    return spec.kind.check(options[key] === undefined ? spec.default : options[key], (path = '') => name(key, path))
  }
  const defaults = { rewrite: read('rewrite'), h2: read('backendH2'), balance: read('balance') }
  const main = toHost({ backend: options.backend ?? OPTIONS.backend.default, routes: options.routes }, defaults, name)
  const vhosts = toVhosts(options.vhosts, name, (vhost, at) => toHost(vhost, defaults, at))
  const tls = toTlsConfig({ tlsCert: read('tlsCert'), tlsKey: read('tlsKey'), tlsPassphrase: read('tlsPassphrase'), sni: options.sni }, name)
  const listeners = Object.freeze(toListeners(options.listen ?? OPTIONS.listen.default, tls !== undefined, name))
  const redirectHttp = read('redirectHttp')
  if (redirectHttp && !(listeners.some((l) => l.tls) && listeners.some((l) => !l.tls))) {
    throw new ConfigError(`${name('redirectHttp')}: needs an http:// and an https:// listen address (--listen twice)`)
  }
  if (read('cacheRedis') !== undefined && read('cache') === undefined) {
    throw new ConfigError(`${name('cacheRedis')}: holds the cache's entries, so it needs ${name('cache')}`)
  }
  if (read('redis') !== undefined && read('rateLimit') === undefined) {
    throw new ConfigError(`${name('redis')}: holds the rate-limit counters, so it needs ${name('rateLimit')}`)
  }
  const health: HealthConfig = Object.freeze({
    maxFails: read('maxFails'),
    failWindowMs: read('failWindow'),
    failTimeoutMs: read('failTimeout'),
    path: read('healthPath'),
    intervalMs: read('healthInterval'),
  })
  return Object.freeze({
    listen: listeners[0] as Listener,
    listeners,
    tls,
    redirectHttp,
    ...main,
    vhosts,
    health,
    retries: read('retries'),
    preserveHost: read('preserveHost'),
    timeoutMs: read('timeout'),
    readTimeoutMs: read('readTimeout'),
    graceMs: read('grace'),
    quiet: read('quiet'),
    accessLog: read('accessLog'),
    accessLogFormat: read('accessLogFormat'),
    ca: readCas(read('ca'), (path = '') => name('ca', path)),
    insecure: read('insecure'),
    workers: read('workers'),
    inspect: toInspectConfig(read('inspect'), read('inspectBuffer'), read('inspectSecrets'), name),
    cacheBytes: read('cache'),
    cacheMaxObjectBytes: read('cacheMaxObject') as number,
    cacheRedis: read('cacheRedis'),
    compress: read('compress'),
    compressMinBytes: read('compressMin') as number,
    rateLimit: read('rateLimit'),
    rateLimitBurst: read('rateLimitBurst'),
    trustProxy: read('trustProxy'),
    redis: read('redis'),
    rateLimitFail: read('rateLimitFail'),
    metrics: toMetricsAddress(read('metrics'), name('metrics')),
  })
}

/** What a route or host takes from the top level unless it says otherwise. */
interface Defaults {
  readonly rewrite: boolean
  readonly h2: boolean
  readonly balance: PolicyName
}

/** The default host or a virtual host: its backends and its routes, named through `at`. */
function toHost(host: VhostOption, defaults: Defaults, at: FieldNamer): HostConfig {
  const backends = toBackends(host.backend, at('backend'), defaults.h2)
  const routes = host.routes ?? []
  if (!Array.isArray(routes)) throw new ConfigError(`${at('routes')}: want an array of { prefix, backend }`)
  return Object.freeze({
    backend: backends[0] as Backend,
    backends,
    balance: host.balance === undefined ? defaults.balance : parsePolicyName(host.balance, at('balance')),
    routes: sortRoutes(routes.map((route, i) => toRoute(route, defaults, (path = '') => at('routes', `[${i}]${path}`)))),
  })
}

function toRoute(route: RouteOption, defaults: Defaults, at: NameAt): Route {
  if (typeof route !== 'object' || route === null) throw new ConfigError(`${at()}: want { prefix, backend }`)
  const prefix = optionalString(route.prefix, at('.prefix'))
  if (prefix === undefined || route.backend === undefined) throw new ConfigError(`${at()}: want { prefix, backend }`)
  const backends = toBackends(route.backend, at(), optionalBoolean(route.backendH2, at('.backendH2')) ?? defaults.h2)
  return Object.freeze({
    prefix: normalisePrefix(prefix, at()),
    backend: backends[0] as Backend,
    backends,
    balance: route.balance === undefined ? defaults.balance : parsePolicyName(route.balance, at('.balance')),
    rewrite: optionalBoolean(route.rewrite, at('.rewrite')) ?? defaults.rewrite,
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
      for (const backend of list) if (!found.has(healthKey(backend))) found.set(healthKey(backend), backend)
    }
  }
  return [...found.values()]
}

/** The metrics listener's HOST:PORT (plain HTTP only); undefined when absent. */
function toMetricsAddress(text: string | undefined, what: string): ProxyConfig['metrics'] {
  if (text === undefined) return undefined
  const { host, port, tls } = parseListen(text, what)
  if (tls) throw new ConfigError(`${what}: "${text}": the metrics listener speaks plain HTTP only`)
  return Object.freeze({ host, port })
}

/** Extra CAs, read now: a missing file fails at start, not at the first https:// exchange. */
function readCas(files: readonly string[] | undefined, at: NameAt): ProxyConfig['ca'] {
  if (files === undefined) return undefined
  const extra = files.map((file) => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new ConfigError(`${at()}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
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
