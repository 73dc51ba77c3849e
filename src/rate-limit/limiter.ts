// The rate limiter: rate-limiter-flexible's counters, in this process or in Redis, and what happens while Redis is away.
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible'
import type { Rate } from '../config/option-kind.js'

/** What the limiter says of one request. */
export type Verdict =
  /** counted: allowed or over the limit; `resetMs` until the window starts over */
  | { readonly kind: 'counted'; readonly allowed: boolean; readonly remaining: number; readonly resetMs: number }
  /** the store could not be reached */
  | { readonly kind: 'unavailable' }

/** A limiter of `rate`, `burst` more at once. */
export interface Limiter {
  readonly rate: Rate
  /** counts one request of `client` */
  consume(client: string): Promise<Verdict>
  /** resolves once the Redis connection is up (at most 2 s), at once without Redis */
  connected(): Promise<void>
  /** closes the Redis connection, if any */
  close(): Promise<void>
}

/** Options of a limiter. */
export interface LimiterOptions {
  readonly rate: Rate
  readonly burst: number
  /** undefined: counters in this process */
  readonly redis: string | undefined
  /** while Redis is away: open serves without a limit, closed answers 503 (said in the outage line) */
  readonly fail: 'open' | 'closed'
  readonly logError: (line: string) => void
}

/**
 * A limiter. With `redis`, every uproxy using that Redis shares the counters; while Redis is
 * away a request is 'unavailable' at once (openRedis), and the caller fails open or closed.
 */
export async function createLimiter({ rate, burst, redis, fail, logError }: LimiterOptions): Promise<Limiter> {
  // loaded with --redis only: ioredis costs every process memory
  const redisClient = redis === undefined ? undefined : await import('../redis/redis-client.js')
  const client = redis === undefined ? undefined
    : redisClient?.openRedis(redis, 'rate limit', fail === 'open' ? 'serving without a limit' : 'answering 503', logError)
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
        return { kind: 'counted', allowed: true, remaining: res.remainingPoints, resetMs: res.msBeforeNext }
      } catch (err) {
        if (err instanceof RateLimiterRes) return { kind: 'counted', allowed: false, remaining: 0, resetMs: err.msBeforeNext }
        return { kind: 'unavailable' }
      }
    },
    connected: () => (client && redisClient ? redisClient.redisConnected(client) : Promise.resolve()),
    async close() {
      if (client && redisClient) await redisClient.closeRedis(client)
    },
  }
}
