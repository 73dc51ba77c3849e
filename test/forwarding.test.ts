import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw, rawExchange } from './helpers/raw-socket.js'

t.test('method, path, query, headers and body reach the backend', async (t) => {
  const origin = await startOrigin(t, (_req, res, seen) => res.end(`got ${seen.body.length}`))
  const proxy = await startTestProxy(t, { backend: origin.url })
  const res = await request(`${proxy.url}/a/b?x=1&y=%20z`, {
    method: 'PUT', headers: { 'x-custom': 'kept', 'content-type': 'text/plain' }, body: 'hello body',
  })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), 'got 10')
  const seen = origin.seen[0]!
  t.equal(seen.method, 'PUT')
  t.equal(seen.url, '/a/b?x=1&y=%20z')
  t.equal(seen.headers['x-custom'], 'kept')
  t.equal(seen.body.toString(), 'hello body')
})

t.test('Host is rewritten to the backend, or kept with preserveHost', async (t) => {
  const origin = await startOrigin(t)
  const plain = await startTestProxy(t, { backend: origin.url })
  await (await request(`${plain.url}/`, { headers: { host: 'client.example' } })).body.text()
  t.equal(origin.seen[0]!.headers.host, `127.0.0.1:${origin.port}`, 'Host is the backend host:port')
  const preserving = await startTestProxy(t, { backend: origin.url, preserveHost: true })
  await (await request(`${preserving.url}/`, { headers: { host: 'client.example' } })).body.text()
  t.equal(origin.seen[1]!.headers.host, 'client.example', 'preserveHost forwards the client Host')
})

t.test('X-Forwarded-For is appended, Proto and Host are replaced', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  await (await request(`${proxy.url}/`, {
    headers: { host: 'shop.example', 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'spoofed' },
  })).body.text()
  const { headers } = origin.seen[0]!
  t.equal(headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  t.equal(headers['x-forwarded-proto'], 'http')
  t.equal(headers['x-forwarded-host'], 'shop.example')
})

t.test('hop-by-hop headers and the headers Connection names are removed', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  const reply = await rawExchange(proxy.port, [
    'GET /hop HTTP/1.1', 'Host: x', 'Connection: keep-alive, X-Secret', 'X-Secret: private', 'Keep-Alive: timeout=5',
    'Proxy-Connection: keep-alive', 'TE: trailers', 'Trailer: X-T', 'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'Upgrade: h2c', 'X-Kept: yes', '', ''].join('\r\n'), 1000)
  t.match(reply.text, /^HTTP\/1\.1 200 OK/)
  const { headers } = origin.seen[0]!
  for (const name of ['x-secret', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'proxy-authorization', 'upgrade']) {
    t.equal(headers[name], undefined, `${name} was not forwarded`)
  }
  t.not(headers.connection, 'keep-alive, X-Secret', 'the client Connection header was not forwarded')
  t.equal(headers['x-kept'], 'yes')
})

t.test('Expect: 100-continue is answered by C1 and not forwarded', async (t) => {
  const origin = await startOrigin(t, (_req, res, seen) => res.end(`got ${seen.body.toString()}`))
  const proxy = await startTestProxy(t, { backend: origin.url })
  const raw = await openRaw(t, proxy.port, 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n')
  await raw.waitForText(/100 Continue/)
  raw.socket.write('hello')
  const text = await raw.waitForText(/got hello/)
  t.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/)
  t.equal(origin.seen[0]!.headers.expect, undefined, 'Expect was not forwarded')
})
