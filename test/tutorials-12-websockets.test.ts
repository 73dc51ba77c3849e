// Step 12's README: WebSockets through the proxy, upgraded only once the backend accepted; closes tied.
import t, { type Test } from 'tap'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocket, WebSocketServer } from 'ws'
import { startStep } from './helpers/tutorial-step.ts'
import { waitFor, within } from './helpers/wait.ts'
import { send } from './helpers/http-client.ts'
import { openRaw } from './helpers/raw-socket.ts'

/** The README's echo backend (or the "one thing to try" one, with `verifyClient`), on a free port. */
async function startEcho(t: Test, options: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options })
  const sockets: WebSocket[] = []
  server.on('connection', (s) => {
    sockets.push(s)
    s.on('message', (m, binary) => s.send(m as Buffer, { binary }))
  })
  await once(server, 'listening')
  t.teardown(() => {
    for (const s of server.clients) s.terminate()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets }
}

/** A client through the proxy, open. */
async function connect(t: Test, url: string, protocols: string[] = []): Promise<WebSocket> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), protocols)
  t.teardown(() => ws.terminate())
  await within(once(ws, 'open'), 5000, `the WebSocket ${url} to open`)
  return ws
}

const UPGRADE_HEAD = ['Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']

t.test('the README run: hello echoed, close 4000 relayed; plain requests get 426', async (t) => {
  const backend = await startEcho(t)
  const proxy = await startStep(t, '12-websockets', ['--listen', '127.0.0.1:0', '--backend', backend.url])
  t.equal(proxy.readyLine, `proxy to ${backend.url} listening on ${proxy.url}`)
  const ws = await connect(t, proxy.url + '/chat')
  ws.send('hello')
  const [message, isBinary] = await within(once(ws, 'message'), 5000, 'the echo')
  t.equal(`got ${String(message)}`, 'got hello')
  t.equal(isBinary, false, 'text stays text')
  const backendClosed = once(backend.sockets[0]!, 'close')
  ws.close(4000, 'done')
  const [code, why] = await within(once(ws, 'close'), 5000, 'the close')
  t.equal(`closed ${code} ${String(why)}`, 'closed 4000 done')
  const [backendCode, backendWhy] = await within(backendClosed, 5000, 'the backend close')
  t.same([backendCode, String(backendWhy)], [4000, 'done'], 'the backend got the client code and reason')
  await proxy.waitForLine(new RegExp(`^C1: upgrade /chat → ws://127\\.0\\.0\\.1:${new URL(backend.url).port}/chat$`))

  const plain = await send(proxy.url + '/')
  t.equal(plain.status, 426)
  t.equal(plain.statusText, 'Upgrade Required')
  t.equal(plain.body, 'this step proxies WebSockets only\n')
})

t.test('binary stays binary, the backend picks the subprotocol, and its close reaches the client', async (t) => {
  const backend = await startEcho(t, { handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) })
  const proxy = await startStep(t, '12-websockets', ['--listen', '127.0.0.1:0', '--backend', backend.url])
  const ws = await connect(t, proxy.url + '/bin', ['v1', 'v2'])
  t.equal(ws.protocol, 'v2')
  const bytes = Buffer.from([0, 1, 2, 255, 254])
  ws.send(bytes)
  const [echo, isBinary] = await within(once(ws, 'message'), 5000, 'the binary echo')
  t.ok((echo as Buffer).equals(bytes) && isBinary === true, 'byte-identical, binary')
  backend.sockets[0]!.close(4001, 'backend says bye')
  const [code, why] = await within(once(ws, 'close'), 5000, 'the relayed close')
  t.same([code, String(why)], [4001, 'backend says bye'])
})

t.test('one thing to try: a refusing backend has its 401 relayed; with the token the client is upgraded', async (t) => {
  const backend = await startEcho(t, { verifyClient: (info, cb) => cb(info.req.url!.includes('token=1'), 401, 'who are you?') })
  const proxy = await startStep(t, '12-websockets', ['--listen', '127.0.0.1:0', '--backend', backend.url])
  const raw = await openRaw(t, Number(new URL(proxy.url).port), ['GET /chat HTTP/1.1', ...UPGRADE_HEAD, '', ''].join('\r\n'))
  const refused = await raw.readResponse({ ms: 10_000 })
  t.equal(refused.status, 401)
  t.equal(refused.statusText, 'Unauthorized')
  t.equal(refused.body, 'who are you?')
  const ws = await connect(t, proxy.url + '/chat?token=1')
  ws.send('let me in')
  t.equal(String((await within(once(ws, 'message'), 5000, 'the echo'))[0]), 'let me in')
})

t.test('a backend that cannot be reached gives 502 with the error code', async (t) => {
  const proxy = await startStep(t, '12-websockets', ['--listen', '127.0.0.1:0', '--backend', 'http://127.0.0.1:1'])
  const raw = await openRaw(t, Number(new URL(proxy.url).port), ['GET /chat HTTP/1.1', ...UPGRADE_HEAD, '', ''].join('\r\n'))
  const got = await raw.readResponse({ ms: 10_000 })
  t.equal(got.status, 502)
  t.equal(got.body, '502 Bad Gateway: ECONNREFUSED\n')
  await proxy.waitForLine(/^C2 failed: \/chat: ECONNREFUSED$/)
})

t.test('a slow client pauses the backend (backpressure), and no message is lost', async (t) => {
  const COUNT = 400
  let sent = 0
  /** pumps in a row that found the backend's socket full: backpressure has reached the backend */
  let blockedPumps = 0
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  server.on('connection', (s) => s.once('message', function pump() {
    const before = sent
    while (sent < COUNT && s.bufferedAmount < 256 * 1024) s.send(Buffer.alloc(64 * 1024, sent++ % 256))
    blockedPumps = sent === before ? blockedPumps + 1 : 0
    // the backend paces itself, writing again every 5 ms while its socket takes more
    if (sent < COUNT) setTimeout(pump, 5)
  }))
  await once(server, 'listening')
  t.teardown(() => {
    for (const s of server.clients) s.terminate()
    server.close()
  })
  const proxy = await startStep(t, '12-websockets', ['--listen', '127.0.0.1:0', '--backend',
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`])
  const ws = await connect(t, proxy.url + '/firehose')
  let received = 0
  ws.on('message', () => received++)
  ws.pause()
  ws.send('go')
  // twenty pumps in a row (100 ms) found the backend's socket full: the proxy stopped reading it
  await waitFor(() => blockedPumps >= 20 || sent === COUNT, 'the backend to stall (its socket full, pump after pump)', 20_000)
  t.ok(sent < COUNT, `the backend stalled at ${sent} of ${COUNT} messages of 64 KiB while the client read nothing`)
  ws.resume()
  await waitFor(() => received === COUNT, `all ${COUNT} messages`, 20_000)
  t.equal(received, COUNT, 'every message arrived once the client read again')
})
