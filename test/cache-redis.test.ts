// The response cache in Redis (--cache-redis): what one instance stored, another serves (a conditional request too); Redis stopped and started mid-run.
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy } from './helpers/proxy.js'
import { needRedis, startRedis } from './helpers/redis-server.js'
import { waitFor } from './helpers/wait.js'

/** A GET with one Host for every instance, as a load balancer in front of them passes the client's. */
const get = async (url: string, headers: Record<string, string> = {}) => {
  const res = await request(url, { headers: { host: 'site.test', ...headers } })
  return { status: res.statusCode, xCache: res.headers['x-cache'], age: res.headers.age, body: await res.body.text() }
}

/**
 * The bytes Redis holds, to wait on: a fill reaches Redis just after its response, so a request
 * sent through another instance at once may miss (the shared cache is eventually consistent).
 */
function storedBytes(t: Test, url: string): () => Promise<number> {
  const client = new Redis(url)
  t.teardown(() => client.quit())
  return async () => {
    let bytes = 0
    for (const key of await client.keys('*')) bytes += await client.strlen(key)
    return bytes
  }
}

const OUTAGE_LINE = /cache: Redis at \S+ is unavailable/g

if (needRedis(t)) {
  t.test('two instances share one cache: a miss through one is a hit through the other, Vary included', async (t) => {
    const redis = await startRedis(t)
    let n = 0
    const origin = await startOrigin(t, (req, res) => {
      const etag = `"${req.headers['accept-language'] ?? '-'}"`
      res.writeHead(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language', 'content-type': 'text/plain', etag })
      res.end(`${req.url} in ${req.headers['accept-language'] ?? '-'} #${++n}`)
    })
    const args = ['--backend', origin.url, '--quiet', '--cache', '1MB', '--cache-redis', redis.url]
    const [a, b] = await Promise.all([startCliProxy(t, args), startCliProxy(t, args)])
    const stored = storedBytes(t, redis.url)
    const first = await get(a!.url + '/page', { 'accept-language': 'en' })
    t.equal(first.xCache, 'MISS')
    await waitFor(async () => (await stored()) > 0, 'the entry in Redis')
    const hit = await get(b!.url + '/page', { 'accept-language': 'en' })
    t.equal(hit.xCache, 'HIT', `got X-Cache ${hit.xCache} through the other instance, want HIT`)
    t.equal(hit.body, '/page in en #1', 'the body the first instance stored')
    t.match(hit.age, /^\d+$/)
    const notModified = await get(b!.url + '/page', { 'accept-language': 'en', 'if-none-match': '"en"' })
    t.equal(notModified.status, 304, `got ${notModified.status} for the client's matching If-None-Match, want 304`)
    t.equal(notModified.xCache, 'HIT')
    const before = await stored()
    t.equal((await get(b!.url + '/page', { 'accept-language': 'fr' })).xCache, 'MISS', 'another variant is another entry')
    await waitFor(async () => (await stored()) > before, 'the fr variant in Redis')
    t.equal((await get(a!.url + '/page', { 'accept-language': 'fr' })).xCache, 'HIT', 'the fr variant through the first instance')
    t.equal((await get(a!.url + '/page', { 'accept-language': 'en' })).body, '/page in en #1', 'both variants kept')
    t.equal(origin.seen.length, 2, `got ${origin.seen.length} requests at the origin, want 2`)
  })

  t.test('Redis stopped mid-run: every request is still answered, one line; the cache works again once it is back', async (t) => {
    const redis = await startRedis(t)
    const origin = await startOrigin(t, (req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.end(`${req.url}`)
    })
    const proxy = await startCliProxy(t, ['--backend', origin.url, '--quiet', '--cache', '1MB', '--cache-redis', redis.url])
    const stored = storedBytes(t, redis.url)
    await get(proxy.url + '/a')
    await waitFor(async () => (await stored()) > 0, 'the entry in Redis')
    t.equal((await get(proxy.url + '/a')).xCache, 'HIT')
    await redis.stop()
    const during = []
    for (let i = 0; i < 4; i++) during.push(await get(proxy.url + '/a'))
    t.ok(during.every((r) => r.status === 200 && r.body === '/a' && r.xCache === 'MISS'), 'served by the backend, every one')
    t.equal(proxy.stderr().match(OUTAGE_LINE)?.length, 1, `one line for the outage; stderr: ${proxy.stderr()}`)
    await redis.start()
    // ioredis reconnects by itself; the restarted Redis is empty, so the entry is stored again
    await waitFor(async () => (await get(proxy.url + '/a')).xCache === 'HIT', 'hits again once Redis is back', 10_000)
    t.pass('hits again')
    t.equal(proxy.stderr().match(OUTAGE_LINE)?.length, 1, 'still one line')
  })
}
