// A keep-alive socket the backend closed under a request: idempotent body-less requests are retried once, others get 502.
import net from 'node:net'
import t, { type Test } from 'tap'
import { request as undiciRequest } from 'undici'
import { startTestProxy } from './helpers/proxy.js'

/** One request as the raw origin saw it: which connection (1, 2, …) and what. */
interface Arrival {
  conn: number
  method: string
  path: string
}

/**
 * A raw origin: the first request on each connection (or only the very first request, with
 * `closeAllButFirst`) gets a keep-alive 200 naming its connection; any other request on a
 * connection makes it close the socket without answering — a keep-alive socket gone stale.
 */
async function startStaleOrigin(t: Test, opts: { closeAllButFirst?: boolean } = {}) {
  const arrivals: Arrival[] = []
  let conns = 0
  const server = net.createServer((socket) => {
    const conn = ++conns
    let served = 0
    let buffered = Buffer.alloc(0)
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buffered.subarray(0, end).toString('latin1')
      const [method = '', path = ''] = head.split(' ')
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
      if (/\r\ntransfer-encoding: *chunked/i.test(head) && !buffered.subarray(end).includes('\r\n0\r\n\r\n')) return
      if (buffered.length < end + 4 + length) return
      buffered = Buffer.alloc(0)
      arrivals.push({ conn, method, path })
      served++
      const answer = opts.closeAllButFirst ? arrivals.length === 1 : served === 1
      if (!answer) return void socket.destroy()
      const body = `conn ${conn}: ${method} ${path}`
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=60\r\n\r\n${body}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<net.Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  const { port } = server.address() as net.AddressInfo
  return { url: `http://127.0.0.1:${port}`, arrivals }
}

/** undici's request, bounded: a proxy that retried forever would otherwise never answer. */
const request = (url: string, options: { method?: string; body?: string } = {}) =>
  undiciRequest(url, { ...options, headersTimeout: 5000, bodyTimeout: 5000 })

const show = (arrivals: Arrival[]) => arrivals.map((a) => `conn ${a.conn} ${a.method} ${a.path}`)

/** Sends the first request, which leaves one idle keep-alive connection in the proxy's pool. */
async function primePool(t: Test, proxyUrl: string): Promise<void> {
  const first = await request(`${proxyUrl}/first`)
  t.equal(first.statusCode, 200)
  t.equal(await first.body.text(), 'conn 1: GET /first', 'the first request opened connection 1')
}

t.test('a GET that meets a stale keep-alive socket is retried once on a fresh connection', async (t) => {
  const origin = await startStaleOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  await primePool(t, proxy.url)
  const res = await request(`${proxy.url}/again`)
  t.equal(res.statusCode, 200, 'the client never sees the stale socket')
  t.equal(await res.body.text(), 'conn 2: GET /again', 'answered on a fresh connection')
  t.same(show(origin.arrivals), ['conn 1 GET /first', 'conn 1 GET /again', 'conn 2 GET /again'],
    'sent on the pooled connection, which closed, then once more on a new one')
})

for (const { method, body } of [
  { method: 'POST', body: 'payload' },
  { method: 'PUT', body: 'payload' },
  { method: 'POST', body: undefined },
]) {
  const what = `${method} ${body ? 'with a body' : 'without a body'}`
  t.test(`a ${what} that meets a stale keep-alive socket is not retried: 502`, async (t) => {
    const origin = await startStaleOrigin(t)
    const proxy = await startTestProxy(t, { backend: origin.url })
    await primePool(t, proxy.url)
    const res = await request(`${proxy.url}/again`, { method, body })
    t.equal(res.statusCode, 502, body ? 'its body was streamed once and cannot be sent again' : `${method} is not idempotent: never sent twice`)
    await res.body.text()
    const after = await request(`${proxy.url}/after`)
    t.equal(after.statusCode, 200, 'the proxy keeps serving')
    t.equal(await after.body.text(), 'conn 2: GET /after')
    t.same(show(origin.arrivals), ['conn 1 GET /first', `conn 1 ${method} /again`, 'conn 2 GET /after'],
      `the ${method} reached the backend exactly once`)
  })
}

t.test('the retry happens once: a GET whose fresh connection fails too gets 502', async (t) => {
  const origin = await startStaleOrigin(t, { closeAllButFirst: true })
  const proxy = await startTestProxy(t, { backend: origin.url })
  await primePool(t, proxy.url)
  const res = await request(`${proxy.url}/again`)
  t.equal(res.statusCode, 502)
  await res.body.text()
  t.same(show(origin.arrivals), ['conn 1 GET /first', 'conn 1 GET /again', 'conn 2 GET /again'],
    'one retry, not more')
})
