// The response cache in Redis (--cache-redis): stored responses shared by every uproxy process using one Redis.
import type { IncomingHttpHeaders } from 'node:http'
import CachePolicy from 'http-cache-semantics'
import { closeRedis, openRedis, redisConnected } from '../redis/redis-client.js'
import type { CacheStore, StoredResponse } from './response-cache.js'

/** The prefix of uproxy's keys in Redis: the variants of one cache key are one Redis value. */
const PREFIX = 'uproxy-cache:'

/** How long a stale entry with a validator stays, so that a 304 can refresh it (Redis' maxmemory evicts sooner if it must). */
const KEEP_STALE_MS = 60 * 60 * 1000

/** One variant as stored: everything but the body, which follows the list. */
interface StoredMeta {
  readonly p: CachePolicy.CachePolicyObject
  readonly s: number
  readonly h: IncomingHttpHeaders
  readonly f: number
  readonly v: boolean
  readonly n: number
}

/**
 * A store in Redis at `url`. Its size is Redis' to bound (maxmemory with an LRU policy); each
 * value expires when its freshest variant can no longer be served nor revalidated. While Redis
 * is away the cache is empty and stores nothing: requests go to the backends, and one line says
 * so per outage (openRedis).
 */
export function redisCacheStore(url: string, maxObjectBytes: number, logError: (line: string) => void): CacheStore {
  const client = openRedis(url, 'cache', 'asking the backends', logError)
  // while Redis is away a lookup finds nothing and a store stores nothing: the backends answer
  const variants = (key: string): Promise<readonly StoredResponse[] | undefined> =>
    client.getBuffer(PREFIX + key).then((value) => (value ? decode(value) : undefined), () => undefined)
  return {
    maxObjectBytes,
    bytes: undefined,
    variants,
    store(key, response, supersedes) {
      if (response.bytes > maxObjectBytes) return
      void variants(key).then(async (current) => {
        const list = [...(current ?? []).filter((stored) => !supersedes(stored)), response]
        await client.set(PREFIX + key, encode(list), 'PX', keepMs(list))
      }).catch(() => {})
    },
    connected: () => redisConnected(client),
    close: () => closeRedis(client),
  }
}

/** How long Redis keeps a list of variants: until the last can be served, or revalidated if it has a validator. */
function keepMs(list: readonly StoredResponse[]): number {
  let ms = 1000
  for (const { policy, headers } of list) {
    const validator = headers.etag !== undefined || headers['last-modified'] !== undefined
    ms = Math.max(ms, policy.timeToLive() + (validator ? KEEP_STALE_MS : 0))
  }
  return ms
}

/** [4-byte length of the JSON list][the JSON list of variants][their bodies, in order]. */
function encode(list: readonly StoredResponse[]): Buffer {
  const meta: StoredMeta[] = list.map((r) => ({ p: r.policy.toObject(), s: r.status, h: r.headers, f: r.freshUntil, v: r.varies, n: r.body.length }))
  const json = Buffer.from(JSON.stringify(meta))
  const length = Buffer.alloc(4)
  length.writeUInt32BE(json.length)
  return Buffer.concat([length, json, ...list.map((r) => r.body)])
}

function decode(value: Buffer): readonly StoredResponse[] {
  const jsonEnd = 4 + value.readUInt32BE(0)
  const meta = JSON.parse(value.subarray(4, jsonEnd).toString()) as StoredMeta[]
  let at = jsonEnd
  return meta.map((m) => {
    const body = value.subarray(at, (at += m.n))
    return { policy: CachePolicy.fromObject(m.p), status: m.s, headers: m.h, freshUntil: m.f, varies: m.v, body, bytes: body.length }
  })
}
