// Only a backend's own failures count against its health: not the client's bad bytes, an allowed 1xx, or a stale keep-alive race.
import net from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startNamedOrigins } from './helpers/named-origins.js'
import { startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'

/**
 * A raw backend: for the `n`th request on a connection (1, 2, …) `answer(n)` gives the bytes to
 * send back, or 'drop' to close that connection without answering. Counts the requests it read.
 */
async function startRawBackend(t: Test, answer: (n: number) => string | 'drop') {
  let requests = 0
  const server = net.createServer((socket) => {
    let n = 0
    let head = ''
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      while (head.includes('\r\n\r\n')) {
        head = head.slice(head.indexOf('\r\n\r\n') + 4)
        requests++
        const bytes = answer(++n)
        if (bytes === 'drop') return void socket.destroy()
        socket.write(bytes)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests: () => requests }
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nKeep-Alive: timeout=60\r\n\r\nraw'

/** Four requests in a row: with round-robin over [raw, other], 'raw other raw other' means raw is still in. */
async function fourInARow(url: string): Promise<string> {
  const names: string[] = []
  for (let i = 0; i < 4; i++) {
    const res = await request(`${url}/n${i}`)
    names.push(`${res.statusCode} ${await res.body.text()}`)
  }
  return names.join(', ')
}

// one failure takes a backend out for a minute, and nothing is retried: any wrong blame shows
const STRICT = { balance: 'round-robin' as const, maxFails: 1, failTimeout: 60, retries: 0 }

t.test('an unsolicited 100 Continue before the 200 (RFC 9110 §15.2): the client gets the 200, the backend stays in', async (t) => {
  const raw = await startRawBackend(t, () => `HTTP/1.1 100 Continue\r\n\r\n${OK}`)
  const [other] = await startNamedOrigins(t, ['other'])
  const proxy = await startTestProxy(t, { backend: [raw.url, other!.url], ...STRICT })
  t.equal(await fourInARow(proxy.url), '200 raw, 200 other, 200 raw, 200 other')
})

t.test('a client\'s bad bytes are its 400, never a request to the backend or a mark against it', async (t) => {
  const raw = await startRawBackend(t, () => OK)
  const [other] = await startNamedOrigins(t, ['other'])
  const proxy = await startTestProxy(t, { backend: [raw.url, other!.url], ...STRICT })
  for (const bad of ['X-A: a\x7fb', 'X-A: a\xffb', 'Host: a b']) {
    const reply = await rawExchange(proxy.port, Buffer.from(`GET /bad HTTP/1.1\r\nHost: x\r\n${bad}\r\n\r\n`.replace('Host: x\r\nHost: a b', 'Host: a b'), 'latin1'), 3000)
    t.match(reply.text, /^HTTP\/1\.1 400 /, `${JSON.stringify(bad)}: 400`)
  }
  t.equal(raw.requests(), 0, 'none of them reached a backend')
  t.equal(await fourInARow(proxy.url), '200 raw, 200 other, 200 raw, 200 other', 'both backends still in')
})

t.test('a stale keep-alive connection (the backend closed it unasked): retried on a fresh one, not held against the backend', async (t) => {
  // answers the first request of each connection, drops the connection at the second: stale keep-alive
  const raw = await startRawBackend(t, (n) => (n === 1 ? OK : 'drop'))
  const [other] = await startNamedOrigins(t, ['other'])
  const proxy = await startTestProxy(t, { backend: [raw.url, other!.url], ...STRICT })
  t.equal(await fourInARow(proxy.url), '200 raw, 200 other, 200 raw, 200 other',
    'the second GET to raw met the stale connection, went again on a fresh one, and raw stayed in')
})
