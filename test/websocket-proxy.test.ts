import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { makeCerts } from './helpers/certs.js'
import { waitFor } from './helpers/wait.js'
import { startTestProxy } from './helpers/proxy.js'
import { startWsBackend } from './helpers/ws-backend.js'

/** A ws client through the proxy, open; terminated at teardown. */
async function connect(t: Test, url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, { maxPayload: 256 * 1024 * 1024, ...options })
  t.teardown(() => ws.terminate())
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)))
  })
  return ws
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })))
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })))
}

const wsUrl = (proxyUrl: string, path: string) => proxyUrl.replace(/^http/, 'ws') + path

t.test('text and binary messages are echoed byte-identical, with their type', async (t) => {
  const backend = await startWsBackend(t)
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/echo'))
  const text = 'héllo ✓ — text'
  ws.send(text)
  const gotText = await nextMessage(ws)
  t.equal(gotText.isBinary, false, 'text stays text')
  t.equal(gotText.data.toString('utf8'), text)
  const binary = randomBytes(70_000)
  ws.send(binary)
  const gotBinary = await nextMessage(ws)
  t.equal(gotBinary.isBinary, true, 'binary stays binary')
  t.ok(gotBinary.data.equals(binary), 'binary bytes are identical')
  const empty = nextMessage(ws)
  ws.send(Buffer.alloc(0))
  t.equal((await empty).data.length, 0, 'an empty message goes through')
})

t.test('a 10 MiB message goes both ways intact', async (t) => {
  const backend = await startWsBackend(t)
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/big'))
  const big = randomBytes(10 * 1024 * 1024)
  ws.send(big)
  const got = await nextMessage(ws)
  t.equal(got.data.length, big.length)
  t.ok(got.data.equals(big), '10 MiB echoed byte-identical')
})

t.test('the handshake is routed and forwarded like a request; the backend picks the subprotocol', async (t) => {
  const backend = await startWsBackend(t, { chooseProtocol: (offered) => (offered.has('chat.v1') ? 'chat.v1' : false) })
  const proxy = await startTestProxy(t, { backend: 'http://127.0.0.1:9', routes: [{ prefix: '/ws', backend: `${backend.url}/base`, rewrite: true }] })
  const ws = await connect(t, wsUrl(proxy.url, '/ws/room?id=7'), ['chat.v2', 'chat.v1'], {
    headers: { 'x-custom': 'kept', cookie: 'a=1', 'x-forwarded-for': '203.0.113.7' },
  })
  t.equal(ws.protocol, 'chat.v1', 'the client gets the backend choice')
  const req = backend.handshakes[0] as IncomingMessage
  t.equal(req.url, '/base/room?id=7', 'route, rewrite and base path apply')
  t.same(req.headers['sec-websocket-protocol']?.split(/\s*,\s*/), ['chat.v2', 'chat.v1'], 'the offered subprotocols are forwarded in order')
  t.equal(req.headers.host, new URL(backend.url).host, 'Host is the backend')
  t.equal(req.headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
  t.equal(req.headers['x-forwarded-proto'], 'http')
  t.equal(req.headers['x-forwarded-host'], new URL(proxy.url).host)
  t.equal(req.headers['x-custom'], 'kept')
  t.equal(req.headers.cookie, 'a=1')
  t.equal(req.headers['sec-websocket-extensions'], undefined, 'no compression is offered to the backend')
  ws.send('after handshake')
  t.equal((await nextMessage(ws)).data.toString(), 'after handshake')
})

t.test('the backend close code and reason reach the client', async (t) => {
  const backend = await startWsBackend(t, { onConnection: (socket) => socket.on('message', () => socket.close(4001, 'backend says bye')) })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/'))
  const done = closed(ws)
  ws.send('close please')
  t.same(await done, { code: 4001, reason: 'backend says bye' })
})

t.test('the client close code and reason reach the backend', async (t) => {
  let backendClose: Promise<{ code: number; reason: string }> | undefined
  const backend = await startWsBackend(t, { onConnection: (socket) => void (backendClose = closed(socket)) })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/'))
  await waitFor(() => backendClose !== undefined, 'the backend connection')
  const clientClose = closed(ws)
  ws.close(4002, 'client says bye')
  t.same(await backendClose, { code: 4002, reason: 'client says bye' })
  t.equal((await clientClose).code, 4002, 'the client close completes')
})

t.test('a client that drops its connection drops the backend one', async (t) => {
  let backendClose: Promise<{ code: number; reason: string }> | undefined
  const backend = await startWsBackend(t, { onConnection: (socket) => void (backendClose = closed(socket)) })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/'))
  await waitFor(() => backendClose !== undefined, 'the backend connection')
  ws.terminate()
  t.equal((await backendClose!).code, 1006, 'the backend sees an abnormal close')
})

t.test('pings are relayed both ways and answered at each hop', async (t) => {
  const backendPings: string[] = []
  const backend = await startWsBackend(t, {
    onConnection: (socket) => {
      socket.on('ping', (data) => backendPings.push(data.toString()))
      socket.on('message', () => socket.ping('from backend'))
    },
  })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/'))
  const clientPing = new Promise<string>((resolve) => ws.once('ping', (data) => resolve(data.toString())))
  const clientPong = new Promise<string>((resolve) => ws.once('pong', (data) => resolve(data.toString())))
  ws.ping('from client')
  t.equal(await clientPong, 'from client', 'the client gets its pong')
  await waitFor(() => backendPings.includes('from client'), 'the client ping at the backend')
  ws.send('ping me')
  t.equal(await clientPing, 'from backend', 'the backend ping reaches the client')
})

t.test('a refused upgrade is relayed as the backend HTTP answer', async (t) => {
  const backend = await startWsBackend(t, { refuse: { status: 401, body: 'who are you?' } })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = new WebSocket(wsUrl(proxy.url, '/private'))
  ws.on('error', () => undefined) // terminate() during a handshake emits one
  t.teardown(() => ws.terminate())
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => resolve(res))
    ws.once('open', () => reject(new Error('want a refusal, got open')))
  })
  t.equal(res.statusCode, 401)
  let body = ''
  for await (const chunk of res) body += chunk
  t.equal(body, 'who are you?')
})

t.test('an unreachable backend answers 502', async (t) => {
  const proxy = await startTestProxy(t, { backend: 'http://127.0.0.1:9' })
  const ws = new WebSocket(wsUrl(proxy.url, '/'))
  ws.on('error', () => undefined) // terminate() during a handshake emits one
  t.teardown(() => ws.terminate())
  const status = await new Promise<number>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('open', () => reject(new Error('want 502, got open')))
  })
  t.equal(status, 502)
})

t.test('a wss:// backend, reached through a TLS listener', async (t) => {
  const cert = makeCerts()
  t.teardown(cert.cleanup)
  const backend = await startWsBackend(t, { tls: { cert: cert.cert, key: cert.key } })
  t.match(backend.url, /^https:\/\/localhost:/)
  const proxy = await startTestProxy(t, { backend: backend.url, ca: cert.caFile, tlsCert: cert.certFile, tlsKey: cert.keyFile })
  const ws = await connect(t, wsUrl(proxy.url, '/secure'), [], { ca: cert.ca })
  t.match(ws.url, /^wss:\/\//)
  ws.send('over tls twice')
  t.equal((await nextMessage(ws)).data.toString(), 'over tls twice')
  t.equal(backend.handshakes[0]!.headers['x-forwarded-proto'], 'https')
})

t.test('a slow reader pauses the backend: 1,000 messages in flight, memory bounded, none lost', async (t) => {
  const COUNT = 1000
  const SIZE = 64 * 1024
  let sent = 0
  /** pumps in a row that found the backend's socket full: backpressure has reached the backend */
  let blockedPumps = 0
  const backend = await startWsBackend(t, {
    onConnection: (socket) => {
      // the backend writes as fast as its socket takes it, so a stall shows as messages not sent
      const pump = () => {
        const before = sent
        while (sent < COUNT && socket.bufferedAmount < 256 * 1024) {
          const message = Buffer.alloc(SIZE, sent % 251)
          message.writeUInt32BE(sent, 0)
          socket.send(message)
          sent++
        }
        blockedPumps = sent === before ? blockedPumps + 1 : 0
        if (sent < COUNT) setTimeout(pump, 5)
      }
      socket.once('message', pump)
    },
  })
  const proxy = await startTestProxy(t, { backend: backend.url })
  const ws = await connect(t, wsUrl(proxy.url, '/firehose'))
  const received: number[] = []
  ws.on('message', (data: Buffer) => received.push(data.readUInt32BE(0)))
  const rssBefore = process.memoryUsage().rss
  ws.pause()
  ws.send('go')
  await waitFor(() => sent > 0, 'the backend to start')
  // twenty pumps in a row found the backend's socket full: the proxy stopped reading it
  await waitFor(() => blockedPumps >= 20, 'the backend to stall (its socket full, pump after pump)', 10_000)
  t.ok(sent < COUNT / 2, `the backend stalled after ${sent} of ${COUNT} messages (${(sent * SIZE / 2 ** 20).toFixed(1)} MiB)`)
  const grown = (process.memoryUsage().rss - rssBefore) / 2 ** 20
  t.ok(grown < 64, `RSS grew ${grown.toFixed(1)} MiB while the client read nothing (want < 64)`)
  ws.resume()
  await waitFor(() => received.length === COUNT, `all ${COUNT} messages`, 30_000)
  t.same(received, Array.from({ length: COUNT }, (_, i) => i), 'every message, in order')
})

t.test('shutdown closes open WebSockets at once with 1001 on both sides', async (t) => {
  let backendClose: Promise<{ code: number; reason: string }> | undefined
  const backend = await startWsBackend(t, { onConnection: (socket) => void (backendClose = closed(socket)) })
  const proxy = await startTestProxy(t, { backend: backend.url, grace: 5 })
  const ws = await connect(t, wsUrl(proxy.url, '/'))
  await waitFor(() => backendClose !== undefined, 'the backend connection')
  const clientClose = closed(ws)
  const started = Date.now()
  await proxy.close()
  t.ok(Date.now() - started < 2000, 'an open WebSocket does not hold shutdown for the grace period')
  t.same(await clientClose, { code: 1001, reason: 'proxy shutting down' })
  t.equal((await backendClose!).code, 1001)
})
