// The Prometheus metrics of one proxy (prom-client): exchanges by route, backend and status class, sizes, times, the edge features.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Hooks } from '../exchange/hooks.js'

/** What the metrics read from the proxy when scraped. */
export interface MetricsSources {
  /** exchanges open now */
  inFlight(): number
  /** each backend of the configuration in force, up or down */
  backends(): { url: string; up: boolean }[]
  /** bytes the response cache holds; undefined without --cache */
  cacheBytes(): number | undefined
}

/** One proxy's registry, the end-phase hooks that count exchanges, and the counter the rate limit adds to. */
export interface Metrics {
  readonly registry: Registry
  /** placed last among the edge features: the response head it reads carries the final X-Cache */
  readonly hooks: Hooks
  /** a request the rate limit answered with 429 */
  readonly rateLimited: () => void
}

/**
 * The metrics, in a registry of their own (two proxies in one process do not mix), with
 * prom-client's default process metrics.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  const requests = new Counter({
    name: 'uproxy_requests_total', help: 'Exchanges finished, by route prefix, backend and status class (2xx…; 0xx: no status sent)',
    labelNames: ['route', 'backend', 'status_class'] as const, registers,
  })
  const duration = new Histogram({
    name: 'uproxy_request_duration_seconds', help: 'Time from the request head to the end of the exchange',
    labelNames: ['status_class'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
  })
  const bytesIn = new Counter({ name: 'uproxy_request_body_bytes_total', help: 'Request body bytes read from clients', registers })
  const bytesOut = new Counter({ name: 'uproxy_response_body_bytes_total', help: 'Response body bytes written to clients', registers })
  const cache = new Counter({
    name: 'uproxy_cache_requests_total', help: 'Answers by X-Cache: HIT, MISS, REVALIDATED, BYPASS', labelNames: ['result'] as const, registers,
  })
  const cacheBytesOut = new Counter({ name: 'uproxy_cache_hit_bytes_total', help: 'Response body bytes served from the cache', registers })
  const limited = new Counter({ name: 'uproxy_rate_limited_total', help: 'Requests answered 429 by the rate limit', registers })
  new Gauge({
    name: 'uproxy_in_flight', help: 'Exchanges in flight', registers,
    collect() { this.set(sources.inFlight()) },
  })
  new Gauge({
    name: 'uproxy_backend_up', help: '1 when the backend is up (passive and active health), 0 when it is out', labelNames: ['backend'] as const, registers,
    // workers share health: their sum would count one backend once per worker
    aggregator: 'max',
    collect() {
      this.reset()
      for (const { url, up } of sources.backends()) this.set({ backend: url }, up ? 1 : 0)
    },
  })
  if (sources.cacheBytes() !== undefined) {
    new Gauge({
      name: 'uproxy_cache_bytes', help: 'Bytes the response cache holds', registers,
      collect() { this.set(sources.cacheBytes() ?? 0) },
    })
  }
  const hits = new WeakSet<object>()
  return {
    registry,
    hooks: {
      c2ResponseHead(exchange, head) {
        const result = head.headers['x-cache']
        if (typeof result !== 'string') return
        cache.inc({ result })
        if (result === 'HIT') hits.add(exchange)
      },
      end(exchange, end) {
        const statusClass = `${Math.floor(end.status / 100)}xx`
        requests.inc({ route: exchange.route ?? '-', backend: exchange.backend?.url ?? '-', status_class: statusClass })
        duration.observe({ status_class: statusClass }, end.ms / 1000)
        bytesIn.inc(end.bytesIn)
        bytesOut.inc(end.bytes)
        if (hits.has(exchange)) cacheBytesOut.inc(end.bytes)
      },
    },
    rateLimited: () => limited.inc(),
  }
}
