// The edge features a configuration turns on (rate limit, response cache, compression, metrics), made once per proxy and placed around the user's hooks.
//
// Each feature's modules load only when it is on: their libraries (ioredis, prom-client,
// rate-limiter-flexible, http-cache-semantics) would cost every process, every worker, memory.
import type { Registry } from 'prom-client'
import type { CacheStore } from '../cache/response-cache.js'
import { compression } from '../compression/compression.js'
import type { ProxyConfig } from '../config/config.js'
import type { MetricsSources } from '../metrics/metrics.js'
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
export async function createEdge(config: ProxyConfig, logError: (line: string) => void,
  proxy: Pick<MetricsSources, 'inFlight' | 'backends'>): Promise<Edge> {
  const cache = config.cacheBytes === undefined ? undefined : await openCache(config, config.cacheBytes, logError)
  const metrics = config.metrics
    ? (await import('../metrics/metrics.js')).createMetrics({ ...proxy, cacheBytes: () => cache?.bytes }) : undefined
  const limiter = config.rateLimit && await (await import('../rate-limit/limiter.js')).createLimiter({
    rate: config.rateLimit, burst: config.rateLimitBurst, redis: config.redis, fail: config.rateLimitFail, logError,
  })
  const rateLimitHooks = limiter && (await import('../rate-limit/rate-limit-phases.js')).rateLimitPhases(limiter, {
    trustProxy: config.trustProxy, fail: config.rateLimitFail, ...(metrics ? { onLimited: metrics.rateLimited } : {}),
  })
  const cacheHooks = cache && (await import('../cache/cache-phases.js')).cachePhases(cache)
  return {
    before: [
      // nginx's limit_req runs before its cache: a limited client gets no hits either
      ...(rateLimitHooks ? [rateLimitHooks] : []),
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

/** The response cache: in this process, or shared through Redis (`--cache-redis`). */
async function openCache(config: ProxyConfig, bytes: number, logError: (line: string) => void): Promise<CacheStore> {
  if (config.cacheRedis === undefined) {
    return new (await import('../cache/response-cache.js')).ResponseCache(bytes, config.cacheMaxObjectBytes)
  }
  return (await import('../cache/redis-cache-store.js')).redisCacheStore(config.cacheRedis, config.cacheMaxObjectBytes, logError)
}
