// Under several workers: metrics summed on one listener; rate limits and the cache shared through Redis, or per process with a warning.
import t from 'tap'
import { Client, request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'
import { needRedis, startRedis } from './helpers/redis-server.js'
import { waitFor, within } from './helpers/wait.js'
import { load, workersOf } from './helpers/workers.js'

/** One request on a connection of its own, so the kernel may hand it to either worker. */
async function statusOnNewConnection(url: string): Promise<number> {
  const client = new Client(url)
  try {
    const res = await client.request({ method: 'GET', path: '/x' })
    await res.body.dump()
    return res.statusCode
  } finally {
    await client.close()
  }
}

t.test('--workers 2 --metrics: one listener, every worker\'s exchanges summed', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startCliProxy(t, ['--backend', origin.url, '--quiet', '--workers', '2', '--metrics', '127.0.0.1:0'])
  await waitFor(() => /^uproxy metrics on http:\/\/127\.0\.0\.1:\d+\/metrics$/m.test(proxy.stdout()), 'the metrics line')
  const metricsUrl = /^uproxy metrics on (\S+)$/m.exec(proxy.stdout())?.[1] as string
  for (let i = 0; i < 20; i++) t.equal(await statusOnNewConnection(proxy.url), 200)
  const text = await (await request(metricsUrl)).body.text()
  const total = [...text.matchAll(/^uproxy_requests_total\{[^}]*status_class="2xx"[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
  t.equal(total, 20, `uproxy_requests_total over both workers: got ${total}, want 20`)
  t.match(text, /^uproxy_backend_up\{[^}]*\} 1$/m, 'a backend up once, not once per worker')
})

t.test('--metrics answers while a worker is stopped: its figures are left out, not waited for', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, workers: 2, metrics: '127.0.0.1:0' })
  t.same(await load(t, proxy.url, 200, 20), [], 'every request answered')
  const [first = 0, second = 0] = await workersOf(proxy).countExchanges()
  t.ok(first > 0 && second > 0, `both workers served (${first} and ${second})`)
  const served = (text: string) => [...text.matchAll(/^uproxy_requests_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
  const scrape = async () => (await request(proxy.metricsUrl as string)).body.text()
  t.equal(served(await scrape()), 200, 'both workers counted')

  const stopped = workersOf(proxy).pids[1] as number
  process.kill(stopped, 'SIGSTOP')
  t.teardown(() => void process.kill(stopped, 'SIGCONT'))
  const started = performance.now()
  const text = await within(scrape(), 5000, '/metrics while worker 1 is stopped')
  t.ok(performance.now() - started < 3000, 'answered within the wait for a worker, not held by the stopped one')
  t.equal(served(text), first, 'worker 0\'s requests only')
  process.kill(stopped, 'SIGCONT')
  t.equal(served(await scrape()), 200, 'worker 1 resumed: both counted again')
})

t.test('without Redis, each worker counts its own limit, and stderr says so', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startCliProxy(t, ['--backend', origin.url, '--quiet', '--workers', '2', '--rate-limit', '4/m', '--cache', '1MB'])
  await waitFor(() => /each of the 2 workers counts its own rate limit/.test(proxy.stderr()), 'the rate-limit warning')
  t.match(proxy.stderr(), /each of the 2 workers keeps its own cache/, 'and the cache warning')
})

if (needRedis(t)) {
  t.test('--workers 2 with --redis: one limit over both workers', async (t) => {
    const redis = await startRedis(t)
    const origin = await startOrigin(t)
    const proxy = await startCliProxy(t, ['--backend', origin.url, '--quiet', '--workers', '2', '--rate-limit', '4/m', '--redis', redis.url])
    const statuses: number[] = []
    // ten connections: the chance that all land on one worker, where one counter would do, is 2^-9
    for (let i = 0; i < 10; i++) statuses.push(await statusOnNewConnection(proxy.url))
    t.same(statuses, [200, 200, 200, 200, 429, 429, 429, 429, 429, 429], `got ${statuses.join(',')}: four in all, not four per worker`)
    t.equal(origin.seen.length, 4, `got ${origin.seen.length} requests at the origin, want 4`)
    t.notMatch(proxy.stderr(), /counts its own rate limit/, 'no per-process warning when Redis shares the counters')
  })
}
