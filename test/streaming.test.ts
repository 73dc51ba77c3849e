// Responses stream through: each backend chunk reaches the client as it arrives, framing and headers survive.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'
import { within } from './helpers/wait.js'

/** A promise with its resolve, for a client and an origin to take turns. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

for (const framing of ['chunked', 'content-length'] as const) {
  t.test(`${framing}: chunk 2 is only sent once the client has chunk 1`, async (t) => {
    const clientHasChunk1 = signal()
    let originGaveUp = false
    const origin = await startOrigin(t, async (_req, res) => {
      const headers: Record<string, string> = { 'content-type': 'text/plain' }
      if (framing === 'content-length') headers['content-length'] = String('chunk 1\n'.length + 'chunk 2\n'.length)
      res.writeHead(200, headers)
      res.write('chunk 1\n')
      // a proxy that buffers the body would hold chunk 1 until the end: give up after a bound
      originGaveUp = await within(clientHasChunk1.promise, 3000, 'the client to have chunk 1').then(() => false, () => true)
      res.end('chunk 2\n')
    })
    const proxy = await startTestProxy(t, { backend: origin.url })
    const res = await request(`${proxy.url}/stream`)
    t.equal(res.statusCode, 200)
    if (framing === 'content-length') {
      t.equal(res.headers['content-length'], '16', 'the backend Content-Length is kept')
      t.equal(res.headers['transfer-encoding'], undefined, 'no chunked framing on a known length')
    } else {
      t.equal(res.headers['content-length'], undefined, 'no made-up Content-Length')
      t.equal(res.headers['transfer-encoding'], 'chunked')
    }
    let body = ''
    for await (const chunk of res.body) {
      body += chunk.toString()
      if (body.includes('chunk 1\n')) clientHasChunk1.resolve()
    }
    t.notOk(originGaveUp, 'the client received chunk 1 before the backend sent chunk 2')
    t.equal(body, 'chunk 1\nchunk 2\n')
  })
}

t.test('HEAD, 204 and 304 carry no body and the keep-alive connection serves the next request', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': '1234', 'content-type': 'text/plain' }).end()
    if (req.url === '/204') return void res.writeHead(204, { 'x-status': '204' }).end()
    if (req.url === '/304') return void res.writeHead(304, { etag: '"v1"' }).end()
    res.end('last')
  })
  const proxy = await startTestProxy(t, { backend: origin.url })
  const conn = await openRaw(t, proxy.port)
  /** Sends `head` on the one keep-alive connection and resolves with the whole response to it, as text. */
  const exchange = async (head: string) => {
    const requestLine = head.slice(0, head.indexOf('\r\n'))
    t.equal(conn.unread().length, 0, `nothing unread is left before ${JSON.stringify(requestLine)}`)
    conn.socket.write(head)
    return (await conn.readResponse({ bodyless: requestLine.startsWith('HEAD ') })).text
  }

  const head = await exchange('HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(head, /^HTTP\/1\.1 200 OK\r\n/)
  t.match(head, /\r\ncontent-length: 1234\r\n/i, 'HEAD keeps the backend Content-Length')
  t.notMatch(head, /transfer-encoding/i)

  const noContent = await exchange('GET /204 HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(noContent, /^HTTP\/1\.1 204 /, 'right after HEAD, the next bytes are the next status line, not a body')
  t.notMatch(noContent, /content-length|transfer-encoding/i, '204 has no framing headers')

  const notModified = await exchange('GET /304 HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v1"\r\n\r\n')
  t.match(notModified, /^HTTP\/1\.1 304 /, 'right after 204, the next status line')
  t.match(notModified, /\r\netag: "v1"\r\n/i)
  t.notMatch(notModified, /transfer-encoding/i, '304 has no chunked body')

  const last = await exchange('GET /last HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(last, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nlast$/, 'the connection still serves a request after HEAD, 204 and 304')
  t.notOk(conn.closed(), 'the proxy kept the connection open')
  t.same(origin.seen.map((s) => `${s.method} ${s.url}`), ['HEAD /head', 'GET /204', 'GET /304', 'GET /last'])
})

t.test('repeated Set-Cookie headers stay separate', async (t) => {
  const cookies = ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly', 'c=3']
  const origin = await startOrigin(t, (_req, res) => {
    res.setHeader('set-cookie', cookies)
    res.end('ok')
  })
  const proxy = await startTestProxy(t, { backend: origin.url })
  const res = await request(`${proxy.url}/`)
  await res.body.text()
  t.same(res.headers['set-cookie'], cookies, 'three Set-Cookie lines, each as the backend sent it')
})

/** The events an EventSource would dispatch (WHATWG HTML §9.2.6), comments ignored. */
function parseEventStream(text: string): { event: string; data: string }[] {
  const events: { event: string; data: string }[] = []
  let event = ''
  let data: string[] = []
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') })
      event = ''
      data = []
      continue
    }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  return events
}

t.test('an SSE backend shows its status and headers to the client at once', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-stream': 'sse' })
    res.flushHeaders()
    const timer = setTimeout(() => {
      res.write('data: one\n\n')
      res.end('event: tick\ndata: two\ndata: lines\n\n')
    }, 2000)
    res.on('close', () => clearTimeout(timer))
  })
  const proxy = await startTestProxy(t, { backend: origin.url })
  const started = performance.now()
  const res = await request(`${proxy.url}/events`)
  const headersAfter = performance.now() - started
  t.ok(headersAfter < 1000, `status and headers within 1 s (want well before the first event at 2 s), got ${headersAfter.toFixed(0)} ms`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/event-stream')
  t.equal(res.headers['cache-control'], 'no-cache')
  t.equal(res.headers['x-stream'], 'sse')
  const body = await res.body.text()
  t.ok(performance.now() - started >= 1900, 'the body ended only after the backend sent its events')
  t.same(parseEventStream(body), [{ event: 'message', data: 'one' }, { event: 'tick', data: 'two\nlines' }],
    'the client parses exactly the backend\'s events')
})
