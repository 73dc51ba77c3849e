// The main process's copy of every backend's health (workers > 1): it probes, and tells new workers what is down.
import { BackendHealth } from '../balancing/backend-health.js'
import { probeSettings, startHealthProbes, type HealthProbes } from '../balancing/health-probes.js'
import { healthKey, type Member } from '../balancing/member.js'
import { BackendPools } from '../c2/pools.js'
import { configuredBackends, type ProxyConfig } from '../config/config.js'
import type { HealthNews } from './messages.js'

/**
 * The health of one configuration's backends, as every worker knows it. Active probes run here
 * once, not once per worker: a verdict that changes a backend's state goes to `broadcast`.
 * Workers' passive changes come in through `apply`, so that a worker started later, and the
 * probes, know of them.
 */
export class HealthBoard {
  private readonly healths = new Map<string, BackendHealth>()
  private readonly pools: BackendPools | undefined
  private readonly probes: HealthProbes | undefined

  constructor(config: ProxyConfig, readonly generation: number, logError: (line: string) => void,
    broadcast: (news: HealthNews) => void) {
    const members: Member[] = configuredBackends(config).map((backend) => {
      const key = healthKey(backend)
      const health = new BackendHealth(backend.url, config.health, logError, undefined,
        (change) => broadcast({ generation, key, change }))
      this.healths.set(key, health)
      return { backend, load: { inFlight: 0 }, health }
    })
    const path = config.health.path
    if (path === undefined) return
    const pools = new BackendPools(config)
    this.pools = pools
    this.probes = startHealthProbes(members, (backend) => pools.get(backend), probeSettings(config, path))
  }

  /** A worker's change, for this configuration: taken in here too. */
  apply(news: HealthNews): void {
    if (news.generation === this.generation) this.healths.get(news.key)?.apply(news.change)
  }

  /** What a worker starting now must apply to know what is down. */
  news(): HealthNews[] {
    return [...this.healths].flatMap(([key, health]) => health.changes().map((change) => ({ generation: this.generation, key, change })))
  }

  /** Stops probing and closes the probes' connections. */
  async close(): Promise<void> {
    this.probes?.close()
    await this.pools?.destroy()
  }
}
