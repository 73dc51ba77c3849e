// Bytes outside ASCII cross the proxy unchanged both ways; bytes that cannot be forwarded as sent are the client's 400.
import t from 'tap'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'
import { rawHeaderValue, rawTarget, startRawOrigin } from './helpers/raw-origin.js'
import { startWsBackend } from './helpers/ws-backend.js'

const bytes = (latin1: string) => Buffer.from(latin1, 'latin1')
const hex = (b: Buffer | undefined) => b?.toString('hex') ?? 'nothing'

t.test('header values outside ASCII reach the backend byte for byte, chars above U+00FF too', async (t) => {
  const origin = await startRawOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  const values: Array<[name: string, value: string]> = [
    ['cookie', 'name=J\xc3\xbcrgen; city=K\xc3\xb6ln'],
    ['x-euro', 'price \xe2\x82\xac 5'],
    ['x-emoji', '<\xf0\x9f\x98\x80>'],
    ['x-forwarded-for', '203.0.113.7, caf\xc3\xa9.example'],
  ]
  const head = `GET /h HTTP/1.1\r\nHost: x\r\n${values.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`
  const reply = await rawExchange(proxy.port, bytes(head), 3000)
  t.match(reply.text, /^HTTP\/1\.1 200 OK\r\n/, 'want 200, never a 502')
  const seen = origin.heads[0]
  if (!seen) return t.fail('got nothing at the origin, want the request')
  for (const [name, value] of values) {
    const want = name === 'x-forwarded-for' ? `${value}, 127.0.0.1` : value
    t.equal(hex(rawHeaderValue(seen, name)), hex(bytes(want)), `${name}: got these bytes at the origin, want the client's`)
  }
})

t.test('a path and query outside ASCII reach the backend byte for byte, and route by those bytes', async (t) => {
  const fallback = await startRawOrigin(t)
  const cafe = await startRawOrigin(t)
  const proxy = await startTestProxy(t, { backend: fallback.url, rewrite: true, routes: [{ prefix: '/café', backend: cafe.url }] })
  const targets: Array<[sent: string, origin: typeof fallback, want: string]> = [
    ['/men\xc3\xbc/\xe2\x82\xac?q=\xc3\xa9&e=\xf0\x9f\x98\x80', fallback, '/men\xc3\xbc/\xe2\x82\xac?q=\xc3\xa9&e=\xf0\x9f\x98\x80'],
    ['/caf\xc3\xa9/cr\xc3\xa8me?x=%C3%A9', cafe, '/cr\xc3\xa8me?x=%C3%A9'],
    ['/a%2Fb/%C3%A9', fallback, '/a%2Fb/%C3%A9'],
  ]
  for (const [sent, origin, want] of targets) {
    const reply = await rawExchange(proxy.port, bytes(`GET ${sent} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`), 3000)
    t.match(reply.text, /^HTTP\/1\.1 200 OK\r\n/, `${JSON.stringify(sent)}: want 200`)
    const seen = origin.heads.shift()
    t.equal(hex(seen && rawTarget(seen)), hex(bytes(want)), `${JSON.stringify(sent)}: got this target at the origin, want ${JSON.stringify(want)}`)
  }
})

t.test('response header values and the reason phrase outside ASCII reach the client byte for byte', async (t) => {
  const head = 'HTTP/1.1 200 \xc3\x9cberall OK\r\nX-Name: J\xc3\xbcrgen\r\nX-Latin1: caf\xe9\r\nSet-Cookie: a=\xe2\x82\xac\r\n' +
    'Set-Cookie: b=\xf0\x9f\x98\x80\r\nContent-Length: 2\r\n\r\nok'
  const origin = await startRawOrigin(t, () => bytes(head))
  const proxy = await startTestProxy(t, { backend: origin.url })
  const reply = await rawExchange(proxy.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000)
  const got = bytes(reply.text)
  t.equal(hex(got.subarray(0, got.indexOf('\r\n'))), hex(bytes('HTTP/1.1 200 \xc3\x9cberall OK')), 'status line: got these bytes, want the backend\'s')
  for (const line of ['X-Name: J\xc3\xbcrgen', 'X-Latin1: caf\xe9', 'Set-Cookie: a=\xe2\x82\xac', 'Set-Cookie: b=\xf0\x9f\x98\x80']) {
    const name = line.slice(0, line.indexOf(':'))
    const sent = reply.text.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    t.ok(sent.some((l) => l.toLowerCase() === line.toLowerCase()),
      `${name}: got ${JSON.stringify(sent)} at the client, want a line ${JSON.stringify(line)}`)
  }
})

t.test('DEL or a byte that is not UTF-8 in a header value, the path or the query: 400 and one "refused" line, never forwarded', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startCliProxy(t, ['--quiet', origin.url])
  const port = Number(new URL(proxy.url).port)
  const requests: Array<[what: string, head: string, line: RegExp]> = [
    ['0x80 in a header value', 'GET /v HTTP/1.1\r\nHost: x\r\nX-V: a\x80b\r\n\r\n', /refused, a byte that is not UTF-8 in header x-v$/],
    ['0xFF in a header value', 'GET /v HTTP/1.1\r\nHost: x\r\nCookie: a=\xffb\r\n\r\n', /refused, a byte that is not UTF-8 in header cookie$/],
    ['a cut UTF-8 sequence in a header value', 'GET /v HTTP/1.1\r\nHost: x\r\nX-V: a\xc3b\r\n\r\n', /refused, a byte that is not UTF-8 in header x-v$/],
    ['DEL in a header value', 'GET /v HTTP/1.1\r\nHost: x\r\nX-V: a\x7fb\r\n\r\n', /refused, control byte 0x7f in header x-v$/],
    ['DEL in the path', 'GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n', /refused, control byte 0x7f in the request target$/],
    ['0x80 in the path', 'GET /a\x80b HTTP/1.1\r\nHost: x\r\n\r\n', /refused, a byte that is not UTF-8 in the request target$/],
    ['0xFF in the query', 'GET /a?q=\xff HTTP/1.1\r\nHost: x\r\n\r\n', /refused, a byte that is not UTF-8 in the request target$/],
  ]
  for (const [what, head, line] of requests) {
    const before = proxy.stderr().split('\n').filter(Boolean).length
    const reply = await rawExchange(port, bytes(head), 3000)
    t.match(reply.text, /^HTTP\/1\.1 400 Bad Request\r\n/, `${what}: got ${JSON.stringify(reply.text.split('\r\n')[0])}, want 400`)
    t.ok(reply.closed, `${what}: want the connection closed`)
    await waitFor(() => proxy.stderr().split('\n').filter(Boolean).length > before, `${what}: a stderr line`)
    const lines = proxy.stderr().split('\n').filter(Boolean).slice(before)
    t.equal(lines.length, 1, `${what}: got ${JSON.stringify(lines)}, want one stderr line`)
    t.match(lines[0], line, `${what}: got ${JSON.stringify(lines[0])}, want ${line}`)
  }
  t.same(origin.seen, [], 'want nothing at the origin')
  const after = await rawExchange(port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000)
  t.match(after.text, /^HTTP\/1\.1 200 OK\r\n/, 'a normal request afterwards: want 200 (the backend was not counted as failed)')
})

t.test('uWS 20.30 drops bytes above 0x7F at either end of a header value, before uproxy sees it', async (t) => {
  // uWS trims a value's whitespace comparing signed chars, so 0x80-0xFF count as whitespace there
  const origin = await startRawOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url })
  await rawExchange(proxy.port, bytes('GET / HTTP/1.1\r\nHost: x\r\nX-Edge: \xc3\x9cber caf\xc3\xa9\r\nConnection: close\r\n\r\n'), 3000)
  const seen = origin.heads[0]
  t.equal(rawHeaderValue(seen ?? Buffer.alloc(0), 'x-edge')?.toString('latin1'), 'ber caf',
    'got these bytes at the origin; a uWS that keeps them needs the limit in docs/uws-limits.md removed')
})

t.test('a WebSocket handshake keeps header bytes exact, its path without dot-segments, non-ASCII path bytes as %XX', async (t) => {
  const backend = await startWsBackend(t)
  const proxy = await startTestProxy(t, { backend: backend.url })
  const head = 'GET /ws/x/../caf\xc3\xa9?q=\xe2\x82\xac HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Name: J\xc3\xbcrgen \xf0\x9f\x98\x80!\r\n\r\n'
  const reply = await rawExchange(proxy.port, bytes(head), 1000)
  t.match(reply.text, /^HTTP\/1\.1 101 /, `got ${JSON.stringify(reply.text.split('\r\n')[0])}, want 101`)
  const seen = backend.handshakes[0]
  // ws parses its address as a WHATWG URL, which can only carry bytes above 0x7F percent-encoded
  t.equal(seen?.url, '/ws/caf%C3%A9?q=%E2%82%AC', `got ${JSON.stringify(seen?.url)} at the backend`)
  const name = seen?.rawHeaders[seen.rawHeaders.findIndex((h) => h.toLowerCase() === 'x-name') + 1]
  // node:http hands header values as Latin-1, one char per byte
  t.equal(hex(name === undefined ? undefined : bytes(name)), hex(bytes('J\xc3\xbcrgen \xf0\x9f\x98\x80!')), 'X-Name: got these bytes at the backend')
})
