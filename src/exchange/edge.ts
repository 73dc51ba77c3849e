// The edge features a configuration turns on (rate limit, response cache, compression, metrics), made once per proxy and placed around the user's hooks.
import type { Registry } from 'prom-client'
import { cachePhases } from '../cache/cache-phases.js'
import { redisCacheStore } from '../cache/redis-cache-store.js'
import { ResponseCache, type CacheStore } from '../cache/response-cache.js'
import { compression } from '../compression/compression.js'
import type { ProxyConfig } from '../config/config.js'
import { createMetrics, type MetricsSources } from '../metrics/metrics.js'
import { createLimiter, type Limiter } from '../rate-limit/limiter.js'
import { rateLimitPhases } from '../rate-limit/rate-limit-phases.js'
import type { Hooks } from './hooks.js'

/** The edge features' hooks: `before` the user's hooks, `after` them. Off features add none. */
export interface Edge {
  readonly before: readonly Hooks[]
  readonly after: readonly Hooks[]
  /** the metrics registry, when --metrics is on */
  readonly metrics: Registry | undefined
  /** resolves once the Redis connections are up, or after 2 s: wait for it before listening */
  connected(): Promise<void>
  /** closes what the features hold open (the Redis connection) */
  close(): Promise<void>
}

/**
 * The edge features of `config`. They keep their state (the cache's entries, the counters) for
 * the life of the proxy: a reload changes routes and backends, not these. `proxy` is what the
 * metrics read of the proxy when scraped.
 */
export function createEdge(config: ProxyConfig, logError: (line: string) => void,
  proxy: Pick<MetricsSources, 'inFlight' | 'backends'>): Edge {
  const cache: CacheStore | undefined = config.cacheBytes === undefined ? undefined
    : config.cacheRedis === undefined ? new ResponseCache(config.cacheBytes, config.cacheMaxObjectBytes)
    : redisCacheStore(config.cacheRedis, config.cacheMaxObjectBytes, logError)
  const metrics = config.metrics && createMetrics({ ...proxy, cacheBytes: () => cache?.bytes })
  const limiter: Limiter | undefined = config.rateLimit
    && createLimiter({ rate: config.rateLimit, burst: config.rateLimitBurst, redis: config.redis, fail: config.rateLimitFail, logError })
  const cacheHooks = cache && cachePhases(cache)
  return {
    before: [
      // nginx's limit_req runs before its cache: a limited client gets no hits either
      ...(limiter ? [rateLimitPhases(limiter, {
        trustProxy: config.trustProxy, fail: config.rateLimitFail, ...(metrics ? { onLimited: metrics.rateLimited } : {}),
      })] : []),
      ...(cacheHooks ? [cacheHooks.fill] : []),
    ],
    after: [
      ...(cacheHooks ? [cacheHooks.lookup] : []),
      ...(config.compress ? [compression(config.compressMinBytes)] : []),
      ...(metrics ? [metrics.hooks] : []),
    ],
    metrics: metrics?.registry,
    connected: async () => void await Promise.all([limiter?.connected(), cache?.connected?.()]),
    close: async () => void await Promise.all([limiter?.close(), cache?.close()]),
  }
}
