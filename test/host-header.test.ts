// Host at C1: exactly one, and a valid host[:port], else 400 before any backend is chosen or reached.
import t from 'tap'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'

t.test('two Host headers: 400, neither virtual host reached, with or without preserveHost', async (t) => {
  const publicSite = await startOrigin(t)
  const admin = await startOrigin(t)
  for (const preserveHost of [false, true]) {
    const proxy = await startTestProxy(t, {
      backend: publicSite.url, preserveHost, vhosts: { 'public.example': publicSite.url, 'admin.example': admin.url },
    })
    for (const [first, second] of [['public.example', 'admin.example'], ['admin.example', 'public.example'], ['public.example', 'public.example']]) {
      const reply = await rawExchange(proxy.port, `GET /x HTTP/1.1\r\nHost: ${first}\r\nHost: ${second}\r\n\r\n`, 3000)
      const what = `preserveHost ${preserveHost}, Host ${first} then ${second}`
      t.match(reply.text, /^HTTP\/1\.1 400 Bad Request\r\n/, `${what}: got ${JSON.stringify(reply.text.split('\r\n')[0])}, want 400`)
      t.ok(reply.closed, `${what}: want the connection closed`)
    }
  }
  t.same([...publicSite.seen, ...admin.seen].map((s) => s.url), [], 'want nothing at either origin')
})

t.test('a Host that is not host[:port]: 400, never forwarded', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  for (const host of ['', 'a b', 'x@y', 'user@public.example', 'x:abc', 'x:99999', 'x:123456', 'x:-1', 'a/b', 'a\\b',
    '[zz::1]', '[::1', 'bücher.example', 'a%zz']) {
    const reply = await rawExchange(proxy.port, Buffer.from(`GET /x HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'utf8'), 3000)
    t.match(reply.text, /^HTTP\/1\.1 400 Bad Request\r\n/, `Host ${JSON.stringify(host)}: got ${JSON.stringify(reply.text.split('\r\n')[0])}, want 400`)
  }
  t.same(origin.seen.map((s) => s.headers['x-forwarded-host']), [], 'want nothing at the origin')
})

t.test('a valid Host is forwarded as X-Forwarded-Host, and as Host with preserveHost', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, preserveHost: true })
  const hosts = ['example.com', 'Example.COM:8080', 'example.com.', '127.0.0.1:80', '[::1]', '[::1]:8443', '[2001:db8::7]:1',
    'under_score.example', 'x:', 'a%41b.example', 'x:65535']
  for (const host of hosts) {
    const reply = await rawExchange(proxy.port, `GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, 3000)
    t.match(reply.text, /^HTTP\/1\.1 200 OK\r\n/, `Host ${JSON.stringify(host)}: got ${JSON.stringify(reply.text.split('\r\n')[0])}, want 200`)
    const seen = origin.seen.shift()
    t.equal(seen?.headers.host, host, `Host ${JSON.stringify(host)}: got ${JSON.stringify(seen?.headers.host)} at the origin`)
    t.equal(seen?.headers['x-forwarded-host'], host, `Host ${JSON.stringify(host)}: got X-Forwarded-Host ${JSON.stringify(seen?.headers['x-forwarded-host'])}`)
  }
})
