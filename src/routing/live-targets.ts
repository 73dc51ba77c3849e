// What one configuration routes to, at run time: pools, backend groups with their health, probes.
import { BackendGroup } from '../balancing/backend-group.js'
import { BackendHealth, type HealthChange } from '../balancing/backend-health.js'
import { BackendPools } from '../c2/pools.js'
import type { Backend } from '../config/backend-url.js'
import type { PolicyName } from '../balancing/policy.js'
import { toByteString } from '../c1/byte-string.js'
import type { HostConfig, ProxyConfig } from '../config/config.js'
import { probeSettings, startHealthProbes, type HealthProbes } from '../balancing/health-probes.js'
import type { Phases } from '../exchange/phases.js'
import { healthKey, type Member } from '../balancing/member.js'
import { findRoute } from './route-table.js'
import { findVhost, mapVhostTable, type VhostTable } from './vhost-table.js'

/** What routing found for a request: a route, or a host's every-other-path, and the group it balances over. */
export interface RouteMatch {
  readonly prefix: string
  /** the prefix C2 strips before forwarding, or undefined */
  readonly strip: string | undefined
  readonly group: BackendGroup
  /** the configuration it belongs to: its pools and settings, for every attempt of the exchange */
  readonly owner: ProxyTargets
}

/**
 * How one worker's health meets the other workers' (workers > 1): the changes this worker makes
 * go out through `share`, the others' come in through the healths `adopt` was given. The main
 * process probes, so a linked set runs no probes of its own.
 */
export interface HealthLink {
  share(key: string, change: HealthChange): void
  adopt(key: string, health: BackendHealth): void
}

/** One Host's routes, longest prefix first, and the match of every other path. */
interface HostRoutes {
  readonly routes: readonly RouteMatch[]
  readonly fallback: RouteMatch
}

/**
 * The run-time side of one ProxyConfig. A reload makes a new one and retires the old: the old
 * pools close once the exchanges that were running on them have ended.
 */
export class ProxyTargets {
  readonly pools: BackendPools
  private readonly main: HostRoutes
  /** undefined when no virtual host is configured: the Host header is never looked at */
  private readonly vhosts: VhostTable<HostRoutes> | undefined
  /** load and health per backend (by URL and protocol), shared by every group that names it */
  private readonly shared = new Map<string, Member>()
  private readonly probes: HealthProbes | undefined
  private active = 0
  /** set by retire(): resolves once the pools are closed */
  private poolsClosed: (() => void) | undefined

  /** the phases of this configuration's exchanges: the built-in hooks, then the proxy's */
  readonly phases: Phases

  constructor(readonly config: ProxyConfig, private readonly logError: (line: string) => void, phases: Phases,
    private readonly link?: HealthLink) {
    this.phases = phases
    this.pools = new BackendPools(config)
    this.main = this.hostRoutes(config)
    const { exact, wildcards } = config.vhosts
    this.vhosts = exact.size + wildcards.length > 0 ? mapVhostTable(config.vhosts, (host) => this.hostRoutes(host)) : undefined
    const health = config.health
    this.probes = health.path === undefined || link ? undefined : startHealthProbes(
      [...this.shared.values()], (backend) => this.pools.get(backend), probeSettings(config, health.path))
  }

  /** The match of a request: its virtual host's (if any are configured), then the longest route. */
  find(path: string, headers: string[]): RouteMatch {
    const host = this.vhosts ? findVhost(this.vhosts, hostHeader(headers)) ?? this.main : this.main
    return findRoute(host.routes, path) ?? host.fallback
  }

  /** Each backend of this configuration once, and whether it is up now (what /metrics reports). */
  backendStates(): { url: string; up: boolean }[] {
    return [...this.shared.values()].map((member) => ({ url: member.backend.url, up: member.health.isUp() }))
  }

  /** An exchange started on these pools. */
  opened(): void {
    this.active++
  }

  /** An exchange on these pools ended; a retired set closes its pools after the last. */
  closed(): void {
    if (--this.active === 0 && this.poolsClosed) this.closePools()
  }

  /** A reload replaced this set: stop probing, close the pools once their exchanges have ended. */
  retire(): Promise<void> {
    this.probes?.close()
    const closed = new Promise<void>((resolve) => (this.poolsClosed = resolve))
    if (this.active === 0) this.closePools()
    return closed
  }

  /** Shutdown: stop probing and cut every connection. */
  async destroy(): Promise<void> {
    this.probes?.close()
    await this.pools.destroy()
  }

  private closePools(): void {
    const done = this.poolsClosed as () => void
    this.pools.close().then(done, done)
  }

  private hostRoutes(host: HostConfig): HostRoutes {
    return {
      // request paths are matched as the bytes the client sent, so prefixes are bytes too
      routes: host.routes.map((route) => ({
        prefix: toByteString(route.prefix),
        strip: route.rewrite ? toByteString(route.prefix) : undefined,
        group: this.group(route.backends, route.balance),
        owner: this,
      })),
      // the default backend's paths are never rewritten: --rewrite strips a route's prefix, and the default has none
      fallback: { prefix: '/', strip: undefined, group: this.group(host.backends, host.balance), owner: this },
    }
  }

  private group(backends: readonly Backend[], balance: PolicyName): BackendGroup {
    return new BackendGroup(backends.map((backend) => ({ ...this.sharedState(backend), backend })), balance)
  }

  /** The load and health of `backend`, made on first use; probes run once per entry. */
  private sharedState(backend: Backend): Pick<Member, 'load' | 'health'> {
    const key = healthKey(backend)
    let member = this.shared.get(key)
    if (!member) {
      const link = this.link
      const health = new BackendHealth(backend.url, this.config.health, this.logError, undefined,
        link && ((change) => link.share(key, change)))
      link?.adopt(key, health)
      member = { backend, load: { inFlight: 0 }, health }
      this.shared.set(key, member)
    }
    return member
  }
}

/** The Host header's value from C1's flat [name, value, …] list (names are lowercase). */
function hostHeader(headers: string[]): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'host') return headers[i + 1]
  return undefined
}
