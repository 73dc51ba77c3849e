// The rate limiter: rate-limiter-flexible's counters, in this process or in Redis, and what happens while Redis is away.
import { Redis } from 'ioredis'
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Rate } from '../config/option-kind.js'

/** What the limiter says of one request. */
export type Verdict =
  /** counted: allowed or over the limit; `resetMs` until the window starts over */
  | { readonly kind: 'counted'; readonly allowed: boolean; readonly remaining: number; readonly resetMs: number }
  /** the store could not be reached; `first` for the first request of an outage */
  | { readonly kind: 'unavailable'; readonly reason: string; readonly first: boolean }

/** A limiter of `rate`, `burst` more at once. */
export interface Limiter {
  readonly rate: Rate
  /** counts one request of `client` */
  consume(client: string): Promise<Verdict>
  /** closes the Redis connection, if any */
  close(): Promise<void>
}

/** Options of a limiter. */
export interface LimiterOptions {
  readonly rate: Rate
  readonly burst: number
  /** undefined: counters in this process */
  readonly redis: string | undefined
}

/**
 * A limiter. With `redis`, every uproxy using that Redis shares the counters; ioredis reconnects
 * by itself, and a request meanwhile fails at once (no offline queue), so the caller decides to
 * fail open or closed instead of waiting.
 */
export function createLimiter({ rate, burst, redis }: LimiterOptions): Limiter {
  const client = redis === undefined ? undefined : new Redis(redis, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // a Redis that holds the connection but stops answering must not hold requests either
    commandTimeout: 1000,
    // reconnect every 100 ms at first, backing off to 2 s (ioredis' own default caps there too)
    retryStrategy: (times) => Math.min(times * 100, 2000),
  })
  let up = true
  // ioredis reports every failed reconnect as an 'error' event; the caller writes one line per outage
  client?.on('error', () => {})
  const limiter = (prefix: string, points: number, seconds: number): RateLimiterAbstract => client
    ? new RateLimiterRedis({ storeClient: client, keyPrefix: `uproxy-rl-${prefix}`, points, duration: seconds, rejectIfRedisNotReady: true })
    : new RateLimiterMemory({ keyPrefix: prefix, points, duration: seconds })
  const steady = limiter('rate', rate.points, rate.seconds)
  // nginx's burst: B requests more, earned back at the rate (B of them take B/rate seconds)
  const counters = burst > 0
    ? new BurstyRateLimiter(steady, limiter('burst', burst, Math.max(1, Math.ceil((burst * rate.seconds) / rate.points))))
    : steady
  return {
    rate,
    async consume(key) {
      try {
        const res = await counters.consume(key)
        up = true
        return { kind: 'counted', allowed: true, remaining: res.remainingPoints, resetMs: res.msBeforeNext }
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          up = true
          return { kind: 'counted', allowed: false, remaining: 0, resetMs: err.msBeforeNext }
        }
        const first = up
        up = false
        return { kind: 'unavailable', reason: err instanceof Error ? err.message : String(err), first }
      }
    },
    async close() {
      if (client) await client.quit().catch(() => client.disconnect())
    },
  }
}
