// The edge features a configuration turns on (response cache, compression), made once per proxy and placed around the user's hooks.
import { cachePhases } from '../cache/cache-phases.js'
import { ResponseCache } from '../cache/response-cache.js'
import { compression } from '../compression/compression.js'
import type { ProxyConfig } from '../config/config.js'
import type { Hooks } from './hooks.js'

/** The edge features' hooks: `before` the user's hooks, `after` them. Off features add none. */
export interface Edge {
  readonly before: readonly Hooks[]
  readonly after: readonly Hooks[]
  /** the response cache, when --cache is on */
  readonly cache: ResponseCache | undefined
}

/**
 * The edge features of `config`. They keep their state (the cache's entries) for the life of
 * the proxy: a reload changes routes and backends, not these.
 */
export function createEdge(config: ProxyConfig): Edge {
  const cache = config.cacheBytes === undefined ? undefined : new ResponseCache(config.cacheBytes, config.cacheMaxObjectBytes)
  const cacheHooks = cache && cachePhases(cache)
  return {
    before: cacheHooks ? [cacheHooks.fill] : [],
    after: [
      ...(cacheHooks ? [cacheHooks.lookup] : []),
      ...(config.compress ? [compression(config.compressMinBytes)] : []),
    ],
    cache,
  }
}
