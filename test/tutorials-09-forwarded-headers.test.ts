// Step 9's README: X-Forwarded-For appended, -Proto and -Host set; hop-by-hop headers dropped both ways.
import t from 'tap'
import { makeCerts } from './helpers/certs.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'
import { openRaw } from './helpers/raw-socket.ts'

const HOP_BY_HOP_REQUEST = {
  connection: 'close, x-secret',
  'x-secret': 'named by Connection',
  'keep-alive': 'timeout=5',
  te: 'trailers',
  trailer: 'x-checksum',
  'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
  'proxy-connection': 'keep-alive',
}

t.test('the README run: what the step-1 origin saw, through /headers', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '09-forwarded-headers', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const proxyHost = new URL(proxy.url).host
  // Raw, because node:http will not send some of these (a Trailer header without chunked framing).
  const raw = await openRaw(t, Number(new URL(proxy.url).port), ['GET /headers HTTP/1.1', `Host: ${proxyHost}`,
    'X-Forwarded-For: 203.0.113.7', 'X-Kept: yes', ...Object.entries(HOP_BY_HOP_REQUEST).map(([n, v]) => `${n}: ${v}`), '', ''].join('\r\n'))
  const got = await raw.readResponse({ ms: 10_000 })
  const seen = JSON.parse(got.body).headers
  t.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1', 'the client address appended to what it sent')
  t.equal(seen['x-forwarded-proto'], 'http')
  t.equal(seen['x-forwarded-host'], proxyHost, 'the Host the client asked for')
  t.equal(seen.host, new URL(origin.url).host, 'Host is the backend')
  t.equal(seen['x-kept'], 'yes', 'end-to-end headers go through')
  for (const name of Object.keys(HOP_BY_HOP_REQUEST)) {
    if (name === 'connection') continue // undici opens its own keep-alive connection and says so
    t.notOk(name in seen, `${name} not forwarded`)
  }
  t.equal(seen.connection, 'keep-alive', "the only Connection is undici's own")
})

t.test('X-Forwarded-* from a client with none, and replacing a forged Proto/Host', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startStep(t, '09-forwarded-headers', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  await send(proxy.url + '/a')
  await send(proxy.url + '/b', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'forged.example' } })
  const [plain, forged] = origin.seen
  t.equal(plain!.headers['x-forwarded-for'], '127.0.0.1', 'no list yet: the client address alone')
  t.equal(forged!.headers['x-forwarded-proto'], 'http', 'Proto is what C1 speaks, not what the client claims')
  t.equal(forged!.headers['x-forwarded-host'], new URL(proxy.url).host, 'Host is what the client asked for')

  // The README's "one thing to try": a second proxy in front of the first.
  const front = await startStep(t, '09-forwarded-headers', ['--listen', '127.0.0.1:0', '--backend', proxy.url])
  await send(front.url + '/chained', { headers: { 'x-forwarded-for': '203.0.113.7' } })
  t.equal(origin.seen[2]!.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1, 127.0.0.1', 'one entry per proxy')
})

t.test('hop-by-hop response headers stop at the proxy', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, [['content-type', 'text/plain'], ['connection', 'keep-alive, x-internal'],
      ['x-internal', 'backend only'], ['keep-alive', 'timeout=5'], ['trailer', 'x-checksum'], ['x-public', 'yes']])
    res.end('ok\n')
  })
  const proxy = await startStep(t, '09-forwarded-headers', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const got = await send(proxy.url + '/')
  t.equal(got.body, 'ok\n')
  t.equal(got.headers['x-public'], 'yes', 'end-to-end headers come back')
  for (const name of ['x-internal', 'keep-alive', 'trailer', 'connection']) {
    t.notOk(got.rawHeaders.some(([n]) => n === name), `${name} not copied to the client`)
  }
})

t.test('routes, uploads and an https backend (NODE_EXTRA_CA_CERTS) work as in steps 6-8', async (t) => {
  const certs = makeCerts()
  t.teardown(certs.cleanup)
  const [main, api] = await Promise.all([startOrigin(t),
    startOrigin(t, (req, res, seen) => res.end(`api got ${req.url}, ${seen.body.length} bytes\n`),
      { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })])
  const proxy = await startStep(t, '09-forwarded-headers', ['--listen', '127.0.0.1:0', '--backend', main.url,
    '--route', `/api=${api.url}`, '--rewrite'], { NODE_EXTRA_CA_CERTS: certs.caFile })
  const got = await send(proxy.url + '/api/up', { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 1) })
  t.equal(got.body, `api got /up, ${3 * 1024 * 1024} bytes\n`, 'routed, rewritten, uploaded over TLS')
  t.equal(api.seen[0]!.headers['x-forwarded-for'], '127.0.0.1', 'with the forwarded headers')
  t.equal(api.seen[0]!.headers.host, api.host)
  t.equal((await send(proxy.url + '/apis')).body, 'origin server response', 'the default backend otherwise')
})
