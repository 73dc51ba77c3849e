// Compression (--compress): gzip and br bodies decompress to the original bytes, the cases left alone, SSE events one by one.
import http, { type IncomingHttpHeaders } from 'node:http'
import { once } from 'node:events'
import zlib from 'node:zlib'
import t from 'tap'
import { request } from 'undici'
import { pickEncoding } from '../src/compression/accept-encoding.js'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { seededRandom } from './helpers/seeded-random.js'
import { within } from './helpers/wait.js'

/** Text of `bytes` bytes from a seeded source: words, so it compresses as real text does. */
function seededText(bytes: number, seed: number): Buffer {
  const random = seededRandom(seed)
  const words = ['proxy', 'stream', 'cache', 'origin', 'client', 'header', 'chunk', 'bytes', 'flush', 'edge']
  let text = ''
  while (text.length < bytes) text += `${words[Math.floor(random() * words.length)]} `
  return Buffer.from(text.slice(0, bytes))
}

/** A request whose body is read raw, undecoded. */
async function raw(url: string, headers: Record<string, string>, method = 'GET') {
  const res = await request(url, { method, headers })
  return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: Buffer.from(await res.body.arrayBuffer()) }
}

const TEXT = seededText(64 * 1024, 12)

t.test('gzip and br bodies decompress to the original bytes, with Vary and a weak ETag', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', etag: '"abc"', 'content-length': TEXT.length })
    // several writes: the stream is compressed chunk by chunk
    for (let at = 0; at < TEXT.length; at += 10_000) res.write(TEXT.subarray(at, at + 10_000))
    res.end()
  })
  const proxy = await startTestProxy(t, { backend: origin.url, compress: true })
  for (const [accept, want, decode] of [
    ['gzip', 'gzip', zlib.gunzipSync],
    ['gzip, deflate, br', 'br', zlib.brotliDecompressSync],
    ['br;q=0.5, gzip', 'gzip', zlib.gunzipSync],
    ['*', 'br', zlib.brotliDecompressSync],
  ] as const) {
    const res = await raw(proxy.url + '/text', { 'accept-encoding': accept })
    t.equal(res.headers['content-encoding'], want, `Accept-Encoding ${accept}: got ${res.headers['content-encoding']}, want ${want}`)
    t.ok(decode(res.body).equals(TEXT), `${accept}: the body decompresses to the original ${TEXT.length} bytes`)
    t.ok(res.body.length < TEXT.length / 2, `${accept}: got ${res.body.length} bytes, want under half`)
    t.equal(res.headers['content-length'], undefined, 'no Content-Length: the length changed')
    t.equal(res.headers.vary, 'Accept-Encoding')
    t.equal(res.headers.etag, 'W/"abc"', 'the strong ETag is weakened')
  }
})

t.test('left alone: no Accept-Encoding, short, not text, already encoded, no-transform, HEAD, 204, 304, ranges', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    const path = req.url ?? ''
    if (path === '/204') return void res.writeHead(204).end()
    if (path === '/304') return void res.writeHead(304, { etag: '"a"' }).end()
    if (path === '/range') {
      return void res.writeHead(206, { 'content-type': 'text/plain', 'content-range': `bytes 0-99/${TEXT.length}` }).end(TEXT.subarray(0, 100))
    }
    const body = path === '/short' ? TEXT.subarray(0, 1023) : path === '/encoded' ? zlib.gzipSync(TEXT) : TEXT
    res.writeHead(200, {
      'content-type': path === '/png' ? 'image/png' : 'text/html',
      ...(path === '/encoded' ? { 'content-encoding': 'gzip' } : {}),
      ...(path === '/no-transform' ? { 'cache-control': 'no-transform' } : {}),
      'content-length': body.length,
    })
    res.end(body)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, compress: true })
  const plain = await raw(proxy.url + '/page', {})
  t.equal(plain.headers['content-encoding'], undefined, 'no Accept-Encoding: identity')
  t.equal(plain.headers.vary, 'Accept-Encoding', 'still Vary: another client would get it compressed')
  t.ok(plain.body.equals(TEXT))
  for (const path of ['/short', '/png', '/no-transform', '/204', '/304', '/range']) {
    const res = await raw(proxy.url + path, { 'accept-encoding': 'gzip, br' })
    t.equal(res.headers['content-encoding'], undefined, `${path}: got Content-Encoding ${res.headers['content-encoding']}, want none`)
  }
  const encoded = await raw(proxy.url + '/encoded', { 'accept-encoding': 'gzip, br' })
  t.equal(encoded.headers['content-encoding'], 'gzip', 'the backend\'s own encoding is kept')
  t.ok(zlib.gunzipSync(encoded.body).equals(TEXT), 'and encoded once, not twice')
  const head = await raw(proxy.url + '/page', { 'accept-encoding': 'gzip' }, 'HEAD')
  t.equal(head.headers['content-encoding'], undefined, 'HEAD: not compressed')
  t.equal(head.headers['content-length'], String(TEXT.length), 'HEAD: the identity length')
})

t.test('server-sent events still arrive one by one, each decompressible as it comes', async (t) => {
  let sendNext: (text: string) => void = () => {}
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    sendNext = (text) => void res.write(`data: ${text}\n\n`)
    sendNext('one')
  }, { streaming: true })
  const proxy = await startTestProxy(t, { backend: origin.url, compress: true })
  const req = http.get(proxy.url + '/events', { headers: { 'accept-encoding': 'gzip' }, agent: false })
  t.teardown(() => req.destroy())
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  t.equal(res.headers['content-encoding'], 'gzip')
  const gunzip = zlib.createGunzip()
  res.pipe(gunzip)
  gunzip.setEncoding('utf8')
  let seen = ''
  const nextEvent = () => within(new Promise<string>((resolve) => {
    const onData = (text: string) => {
      seen += text
      const end = seen.indexOf('\n\n')
      if (end < 0) return
      gunzip.off('data', onData)
      const event = seen.slice(0, end)
      seen = seen.slice(end + 2)
      resolve(event)
    }
    gunzip.on('data', onData)
  }), 5000, 'the next event')
  // each event is sent only after the previous one arrived: nothing may wait for more data
  for (const text of ['one', 'two', 'three']) {
    if (text !== 'one') sendNext(text)
    t.equal(await nextEvent(), `data: ${text}`, `event "${text}" arrived on its own`)
  }
})

t.test('Accept-Encoding by q-value: br at equal q, q=0 refuses, * stands for the rest', async (t) => {
  const cases: [string | undefined, string | undefined][] = [
    [undefined, undefined], ['identity', undefined], ['gzip', 'gzip'], ['br, gzip', 'br'], ['gzip, br', 'br'],
    ['gzip;q=1, br;q=0.9', 'gzip'], ['br;q=0, gzip;q=0.1', 'gzip'], ['*;q=0.5, gzip;q=0.2', 'br'], ['*, br;q=0', 'gzip'],
    ['gzip;q=0, br;q=0', undefined], ['X-GZIP', 'gzip'], ['deflate', undefined],
  ]
  for (const [header, want] of cases) t.equal(pickEncoding(header), want, `${header}: got ${pickEncoding(header)}, want ${want}`)
})

t.test('with --cache: the identity body is stored, and a hit is compressed for the client that asks', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' })
    res.end(TEXT)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, compress: true, cache: '1MB' })
  const miss = await raw(proxy.url + '/data', { 'accept-encoding': 'br' })
  t.equal(miss.headers['x-cache'], 'MISS')
  t.ok(zlib.brotliDecompressSync(miss.body).equals(TEXT), 'the miss, in br')
  const hit = await raw(proxy.url + '/data', { 'accept-encoding': 'gzip' })
  t.equal(hit.headers['x-cache'], 'HIT', `got X-Cache ${hit.headers['x-cache']}, want HIT`)
  t.equal(hit.headers['content-encoding'], 'gzip')
  t.ok(zlib.gunzipSync(hit.body).equals(TEXT), 'the hit, in gzip')
  const identity = await raw(proxy.url + '/data', {})
  t.ok(identity.body.equals(TEXT), 'and as stored for a client without Accept-Encoding')
  t.equal(origin.seen.length, 1, `got ${origin.seen.length} requests at the origin, want 1`)
})
