// Metrics (--metrics): the counters match the traffic sent, on a listener of their own.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'
import { waitFor } from './helpers/wait.js'

/** The value of the sample `name{labels}` in Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

const scrape = async (url: string) => (await request(url)).body.text()

t.test('requests by route, backend and status class; bytes; durations; cache and rate-limit counts; backends up', async (t) => {
  const api = await startOrigin(t, (req, res) => {
    res.writeHead(req.url === '/api/missing' ? 404 : 200, { 'cache-control': 'max-age=60' })
    res.end('0123456789')
  })
  const site = await startOrigin(t)
  const proxy = await startTestProxy(t, {
    backend: site.url, routes: [{ prefix: '/api', backend: api.url }], cache: '1MB', rateLimit: '8/m', metrics: '127.0.0.1:0',
  })
  t.match(proxy.metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  for (const path of ['/api/a', '/api/a', '/api/a', '/api/missing', '/']) await (await request(proxy.url + path)).body.dump()
  await (await request(proxy.url + '/upload', { method: 'POST', body: Buffer.alloc(1000, 1) })).body.dump()
  for (let i = 0; i < 3; i++) await (await request(proxy.url + '/')).body.dump()
  const text = await scrape(proxy.metricsUrl as string)
  const requests = (route: string, backend: string, status: string) =>
    sample(text, 'uproxy_requests_total', `route="${route}",backend="${backend}",status_class="${status}"`)
  t.equal(requests('/api', api.url, '2xx'), 1, 'one 2xx on /api: the miss')
  t.equal(requests('-', '-', '2xx'), 2, 'two hits, answered before routing: no route, no backend')
  t.equal(requests('/api', api.url, '4xx'), 1, 'one 404 on /api')
  t.equal(requests('/', site.url, '2xx'), 4, 'four 2xx on the default backend (8 requests allowed in all)')
  t.equal(requests('-', '-', '4xx'), 1, 'the 429 reached no route or backend')
  t.equal(sample(text, 'uproxy_rate_limited_total'), 1)
  t.equal(sample(text, 'uproxy_cache_requests_total', 'result="HIT"'), 2)
  t.equal(sample(text, 'uproxy_cache_requests_total', 'result="MISS"'), 5, 'MISS: /api/a once, /api/missing, three GET /')
  t.equal(sample(text, 'uproxy_cache_requests_total', 'result="BYPASS"'), 1, 'the POST')
  t.equal(sample(text, 'uproxy_cache_hit_bytes_total'), 20)
  t.ok((sample(text, 'uproxy_cache_bytes') ?? 0) >= 10, 'the cache holds /api/a')
  t.equal(sample(text, 'uproxy_request_body_bytes_total'), 1000)
  const out = 10 * 4 + 'origin server response'.length * 4 + 'Too Many Requests\n'.length
  t.equal(sample(text, 'uproxy_response_body_bytes_total'), out, `want ${out} body bytes out`)
  t.equal(sample(text, 'uproxy_request_duration_seconds_count', 'status_class="2xx"'), 7)
  t.equal(sample(text, 'uproxy_in_flight'), 0)
  t.equal(sample(text, 'uproxy_backend_up', `backend="${api.url}"`), 1)
  t.equal(sample(text, 'uproxy_backend_up', `backend="${site.url}"`), 1)
  t.ok(sample(text, 'process_cpu_user_seconds_total') !== undefined, 'the default process metrics')
  t.equal((await request(proxy.metricsUrl!.replace('/metrics', '/other'))).statusCode, 404, 'only /metrics')
})

t.test('a backend that fails is reported down', async (t) => {
  const origin = await startOrigin(t)
  const port = origin.port
  await new Promise<void>((resolve) => origin.server.close(() => resolve()))
  const proxy = await startTestProxy(t, { backend: `http://127.0.0.1:${port}`, metrics: '127.0.0.1:0', retries: 0 })
  await (await request(proxy.url)).body.dump()
  t.equal(sample(await scrape(proxy.metricsUrl as string), 'uproxy_backend_up', `backend="http://127.0.0.1:${port}"`), 0)
})

t.test('from the command line: its own line with the URL; an address in use is a one-line error', async (t) => {
  const origin = await startOrigin(t)
  const run = await startCliProxy(t, ['--backend', origin.url, '--quiet', '--metrics', '127.0.0.1:0'])
  await waitFor(() => /^uproxy metrics on \S+$/m.test(run.stdout()), 'the metrics line')
  const url = /^uproxy metrics on (\S+)$/m.exec(run.stdout())?.[1]
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, `got stdout ${run.stdout()}`)
  await (await request(run.url)).body.dump()
  t.equal(sample(await scrape(url as string), 'uproxy_requests_total', `route="/",backend="${origin.url}",status_class="2xx"`), 1)
  const { startProxy } = await import('../src/index.js')
  const port = Number(new URL(url as string).port)
  await t.rejects(startProxy({ listen: '127.0.0.1:0', backend: origin.url, metrics: `127.0.0.1:${port}`, quiet: true }),
    { code: 'UPROXY_LISTEN', message: `cannot listen for metrics on 127.0.0.1:${port}: the address is in use` })
})
