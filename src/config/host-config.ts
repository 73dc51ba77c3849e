// Hosts as users write them (routes, virtual hosts) and as the proxy reads them, with health settings.
import type { HealthSettings } from '../balancing/backend-health.js'
import type { Backend } from './backend-url.js'
import type { PolicyName } from '../balancing/policy.js'
import { ConfigError } from './config-error.js'
import type { NameOption } from './option-kind.js'
import type { Route } from '../routing/route-table.js'
import { createVhostTable, type VhostTable } from '../routing/vhost-table.js'

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

/** A virtual host as a user writes it: its backends, and path routes within it. */
export interface VhostOption {
  /** backend URL, or several: 'http://a:1*3,http://b:2' or an array of them */
  backend: string | string[]
  /** how to choose among them (default: the top-level `balance`) */
  balance?: PolicyName
  /** path routes within this host; paths they do not match go to `backend` */
  routes?: RouteOption[]
}

/** What one Host is served by: the routes within it, and the backends for every other path. */
export interface HostConfig {
  /** the first of `backends` */
  readonly backend: Backend
  readonly backends: readonly Backend[]
  readonly balance: PolicyName
  /** sorted longest prefix first */
  readonly routes: readonly Route[]
}

/** Passive and active health, validated. */
export interface HealthConfig extends HealthSettings {
  /** the path active probes ask for; undefined: no probes */
  readonly path: string | undefined
  readonly intervalMs: number
}

/** How errors name a field of one host: 'backend' or 'vhosts["a.test"].backend'. */
export type FieldNamer = (field: 'backend' | 'routes' | 'balance', path?: string) => string

/**
 * Virtual hosts: `{ 'example.com': 'http://a,http://b', '*.example.com': { backend, balance, routes } }`.
 * `toHost` validates one host's backends and routes, naming them through its FieldNamer.
 */
export function toVhosts(vhosts: unknown, name: NameOption<'vhosts'>, toHost: (vhost: VhostOption, at: FieldNamer) => HostConfig): VhostTable<HostConfig> {
  if (vhosts === undefined) return createVhostTable([])
  if (typeof vhosts !== 'object' || vhosts === null || Array.isArray(vhosts)) {
    throw new ConfigError(`${name('vhosts')}: want { "host.name": "URL[,URL…]" or { backend, balance?, routes? } }`)
  }
  return createVhostTable(Object.entries(vhosts).map(([host, value]) => {
    const what = name('vhosts', `["${host}"]`)
    const vhost = typeof value === 'string' || Array.isArray(value) ? { backend: value } : value
    if (typeof vhost !== 'object' || vhost === null) throw new ConfigError(`${what}: want "URL[,URL…]" or { backend, balance?, routes? }`)
    if (vhost.backend === undefined) throw new ConfigError(`${what}: want { backend, balance?, routes? }`)
    return [host, toHost(vhost as VhostOption, (field, path = '') => name('vhosts', `["${host}"].${field}${path}`))] as const
  }), name('vhosts'))
}
