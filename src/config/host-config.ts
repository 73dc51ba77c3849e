// The load-balancing options (virtual hosts, health, retries) → their validated, frozen config.
import type { HealthSettings } from '../balancing/backend-health.js'
import type { Backend } from './backend-url.js'
import type { PolicyName } from '../balancing/policy.js'
import { ConfigError } from './config-error.js'
import type { Route } from '../routing/route-table.js'
import { createVhostTable, type VhostTable } from '../routing/vhost-table.js'

/** A virtual host as a user writes it: its backends, and path routes within it. */
export interface VhostOption {
  /** backend URL, or several: 'http://a:1*3,http://b:2' or an array of them */
  backend: string | string[]
  /** how to choose among them (default: the top-level `balance`) */
  balance?: PolicyName
  /** path routes within this host; paths they do not match go to `backend` */
  routes?: Array<{ prefix: string; backend: string | string[]; rewrite?: boolean; backendH2?: boolean; balance?: PolicyName }>
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

/** What the health options look like to this module. */
export interface HealthOptions {
  maxFails?: number
  failWindow?: number
  failTimeout?: number
  healthPath?: string
  healthInterval?: number
}

/** Defaults: nginx's max_fails=1 fail_timeout=10s; probes every 5 s (nginx plus's health_check interval). */
export function toHealthConfig(options: HealthOptions): HealthConfig {
  const path = options.healthPath
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/') || /[#\s]/.test(path))) {
    throw new ConfigError(`healthPath: ${JSON.stringify(path)} is not a path starting with /`)
  }
  return Object.freeze({
    maxFails: wholeNumber(options.maxFails ?? 1, 'maxFails', 1),
    failWindowMs: positiveSeconds(options.failWindow ?? 10, 'failWindow'),
    failTimeoutMs: positiveSeconds(options.failTimeout ?? 10, 'failTimeout'),
    path,
    intervalMs: positiveSeconds(options.healthInterval ?? 5, 'healthInterval'),
  })
}

/** How many more backends an exchange may be sent to after the first fails (default 1). */
export function toRetries(retries: unknown): number {
  return wholeNumber(retries ?? 1, 'retries', 0)
}

/**
 * Virtual hosts: `{ 'example.com': 'http://a,http://b', '*.example.com': { backend, balance, routes } }`.
 * `toHost` validates one host's backends and routes; `what` is its name in error messages.
 */
export function toVhosts(vhosts: unknown, toHost: (vhost: VhostOption, what: string) => HostConfig): VhostTable<HostConfig> {
  if (vhosts === undefined) return createVhostTable([])
  if (typeof vhosts !== 'object' || vhosts === null || Array.isArray(vhosts)) {
    throw new ConfigError('vhosts: want { "host.name": "URL[,URL…]" or { backend, balance?, routes? } }')
  }
  return createVhostTable(Object.entries(vhosts).map(([host, value]) => {
    const what = `vhosts["${host}"]`
    const vhost = typeof value === 'string' || Array.isArray(value) ? { backend: value } : value
    if (typeof vhost !== 'object' || vhost === null) throw new ConfigError(`${what}: want "URL[,URL…]" or { backend, balance?, routes? }`)
    return [host, toHost(vhost as VhostOption, what)] as const
  }))
}

function wholeNumber(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${what}: "${value}" is not a whole number ${min} or more`)
  }
  return value
}

function positiveSeconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`${what}: "${value}" is not a positive number of seconds`)
  }
  return Math.round(value * 1000)
}
