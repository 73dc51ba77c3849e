// Rate limiting (--rate-limit) in one process: 429 with its headers, one limit per client, the burst, and --trust-proxy.
import t from 'tap'
import { Agent, request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'

/** Status and rate-limit headers of one GET, from `localAddress` when given, with `headers`. */
async function hit(url: string, opts: { dispatcher?: Agent; headers?: Record<string, string> } = {}) {
  const res = await request(url, opts)
  const body = await res.body.text()
  const h = res.headers
  return { status: res.statusCode, body, limit: h['ratelimit-limit'], remaining: h['ratelimit-remaining'], reset: h['ratelimit-reset'], retryAfter: h['retry-after'] }
}

t.test('over the limit: 429 with Retry-After; RateLimit-* on every answer; the backend never sees it', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, rateLimit: '3/m' })
  for (const remaining of ['2', '1', '0']) {
    const res = await hit(proxy.url + '/x')
    t.equal(res.status, 200, `got ${res.status}, want 200 with ${remaining} left`)
    t.equal(res.limit, '3')
    t.equal(res.remaining, remaining, `got RateLimit-Remaining ${res.remaining}, want ${remaining}`)
    t.ok(Number(res.reset) >= 1 && Number(res.reset) <= 60, `got RateLimit-Reset ${res.reset}, want 1..60`)
  }
  const limited = await hit(proxy.url + '/x')
  t.equal(limited.status, 429, `got ${limited.status}, want 429`)
  t.equal(limited.body, 'Too Many Requests\n')
  t.equal(limited.remaining, '0')
  t.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 60, `got Retry-After ${limited.retryAfter}, want 1..60`)
  t.equal(origin.seen.length, 3, `got ${origin.seen.length} requests at the origin, want 3`)
})

t.test('each client address has its own limit', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, rateLimit: '2/m' })
  // Linux routes all of 127/8 to loopback: a second client address without any setup
  const other = new Agent({ localAddress: '127.0.0.2' })
  t.teardown(() => other.close())
  t.equal((await hit(proxy.url)).status, 200)
  t.equal((await hit(proxy.url)).status, 200)
  t.equal((await hit(proxy.url)).status, 429, '127.0.0.1 is over its limit')
  t.equal((await hit(proxy.url, { dispatcher: other })).status, 200, '127.0.0.2 is not')
  t.equal((await hit(proxy.url, { dispatcher: other })).remaining, '0')
  t.equal((await hit(proxy.url, { headers: { 'x-forwarded-for': '198.51.100.7' } })).status, 429,
    'X-Forwarded-For changes nothing without --trust-proxy')
})

t.test('--trust-proxy: the client is the last X-Forwarded-For address', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, rateLimit: '1/m', trustProxy: true })
  const from = (chain: string) => hit(proxy.url, { headers: { 'x-forwarded-for': chain } })
  t.equal((await from('203.0.113.9, 198.51.100.1')).status, 200)
  t.equal((await from('192.0.2.50, 198.51.100.1')).status, 429, 'the same last address: the same client, whatever came before')
  t.equal((await from('203.0.113.9, 198.51.100.2')).status, 200, 'another last address: another client')
})

t.test('--rate-limit-burst: that many more at once', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, rateLimit: '2/m', rateLimitBurst: 2 })
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await hit(proxy.url)).status)
  t.same(statuses, [200, 200, 200, 200, 429], `got ${statuses.join(',')}`)
})

t.test('bad rates are one-line errors', async (t) => {
  const { toConfig } = await import('../src/config/config.js')
  t.same(toConfig({ rateLimit: '10/s' }).rateLimit, { points: 10, seconds: 1 })
  t.same(toConfig({ rateLimit: '600r/m' }).rateLimit, { points: 600, seconds: 60 })
  t.throws(() => toConfig({ rateLimit: '10/h' }), { message: 'rateLimit: "10/h" is not a rate such as 10/s or 600/m' })
  t.throws(() => toConfig({ redis: 'redis://127.0.0.1:6379' }), { message: 'redis: holds the rate-limit counters, so it needs rateLimit' })
  t.throws(() => toConfig({ rateLimit: '1/s', rateLimitFail: 'maybe' as 'open' }), { message: 'rateLimitFail: "maybe" is not open or closed' })
})
