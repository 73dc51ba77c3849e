// The target comes only from configuration: nothing a client writes makes uproxy connect to another host.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin, type Origin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'

/** A second loopback origin that the client names; counts every TCP connection it ever accepts. */
async function startElsewhere(t: Test): Promise<Origin & { connections: () => number }> {
  const elsewhere = await startOrigin(t, (_req, res) => res.end('elsewhere: you should never see this'))
  let connections = 0
  elsewhere.server.on('connection', () => connections++)
  return { ...elsewhere, connections: () => connections }
}

t.test('a Host header or a // path naming another origin still goes to the configured backend', async (t) => {
  const backend = await startOrigin(t, (req, res) => res.end(`backend got ${req.url}`))
  const elsewhere = await startElsewhere(t)
  const named = `127.0.0.1:${elsewhere.port}`
  for (const preserveHost of [false, true]) {
    const proxy = await startTestProxy(t, { backend: backend.url, preserveHost })
    const res = await request(`${proxy.url}/via-host`, { headers: { host: named } })
    t.equal(await res.body.text(), 'backend got /via-host', `preserveHost ${preserveHost}: want the configured backend's answer`)
    const reply = await rawExchange(proxy.port, `GET //${named}/via-path HTTP/1.1\r\nHost: ${named}\r\nConnection: close\r\n\r\n`, 3000)
    // its slashes merged (docs/behaviour.md): still a path, on the configured backend
    t.match(reply.text, new RegExp(`^HTTP/1\\.1 200 OK\\r\\n[^]*backend got /${named}/via-path$`),
      `preserveHost ${preserveHost}: want the // path forwarded as a path to the configured backend`)
  }
  t.equal(backend.seen.length, 4, 'every request reached the configured backend')
  t.equal(elsewhere.connections(), 0, 'want no connection ever made to the origin the client named')
})

t.test('absolute-form and CONNECT requests naming another origin never make uproxy connect to it', async (t) => {
  const backend = await startOrigin(t)
  const elsewhere = await startElsewhere(t)
  const proxy = await startTestProxy(t, { backend: backend.url })
  const named = `127.0.0.1:${elsewhere.port}`
  const requests: Array<[what: string, bytes: string]> = [
    ['GET http://…', `GET http://${named}/secret HTTP/1.1\r\nHost: ${named}\r\n\r\n`],
    ['GET https://…', `GET https://${named}/secret HTTP/1.1\r\nHost: ${named}\r\n\r\n`],
    ['POST http://… with a body', `POST http://${named}/secret HTTP/1.1\r\nHost: ${named}\r\nContent-Length: 2\r\n\r\nhi`],
    ['CONNECT host:port', `CONNECT ${named} HTTP/1.1\r\nHost: ${named}\r\n\r\n`],
  ]
  // uWS does not route these to any handler: it waits and closes at its idle timeout (8-12 s), after which
  // the bytes are certainly dealt with, so "no connection by then" means never
  const replies = await Promise.all(requests.map(([, bytes]) => rawExchange(proxy.port, bytes, 15_000)))
  requests.forEach(([what], i) => {
    t.equal(replies[i]!.text, '', `${what}: want no response`)
    t.ok(replies[i]!.closed, `${what}: want the connection closed within 15 s`)
  })
  t.equal(elsewhere.connections(), 0, 'want no connection ever made to the origin the client named')
  t.same(backend.seen, [], 'and nothing forwarded to the configured backend either')
  const res = await request(`${proxy.url}/after`)
  t.equal(res.statusCode, 200, 'the proxy still serves: want 200')
  await res.body.text()
})
