// A Redis connection for the edge features (rate-limit counters, cache entries): fails fast, reconnects by itself, one line per outage.
import { Redis } from 'ioredis'

/**
 * A client of the Redis at `url`. A command while Redis is away fails at once (no offline queue,
 * no retry, 1 s at most for an answer), so that no request waits for it; ioredis reconnects by
 * itself, every 100 ms at first, backing off to 2 s. One line goes to `logError` when Redis
 * goes away (or cannot be reached at start), `what` naming who uses it and `meanwhile` what
 * uproxy does until it is back; nothing more until it has been back.
 */
export function openRedis(url: string, what: string, meanwhile: string, logError: (line: string) => void): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  })
  let up = true
  const down = (reason: string) => {
    if (up) logError(`${what}: Redis at ${url} is unavailable (${reason}); ${meanwhile} until it is back`)
    up = false
  }
  client.on('ready', () => (up = true))
  // every failed reconnect is an 'error' event: only the first of an outage is written
  client.on('error', (err: Error) => down(err.message || (err as NodeJS.ErrnoException).code || 'error'))
  client.on('close', () => down('connection closed'))
  return client
}

/**
 * Resolves once `client` is connected, or after `ms` (Redis away: uproxy starts anyway, failing
 * open or closed). A proxy waits for it before it listens: its first requests would otherwise
 * find Redis not yet connected and pass uncounted.
 */
export function redisConnected(client: Redis, ms = 2000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    client.once('ready', done)
  })
}

/** Closes `client`: QUIT when it can, else at once. */
export async function closeRedis(client: Redis): Promise<void> {
  await client.quit().catch(() => client.disconnect())
}
