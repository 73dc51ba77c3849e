// The response cache (--cache): hits, Vary, what bypasses it, revalidation, a client's conditional request, coalesced misses, its size, a streamed miss.
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import type { Hooks } from '../src/index.js'
import { startOrigin, type OriginHandler } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'
import { waitFor, within } from './helpers/wait.js'

/** GET (or `method`) through the proxy: status, headers and body text. */
async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(url, { method, headers })
  return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: await res.body.text() }
}

/** An origin answering every path with `path #n` (n counts what reached it) and `headers`. */
function numbered(headers: Record<string, string>): OriginHandler {
  let n = 0
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', ...headers })
    res.end(`${req.url} #${++n}`)
  }
}

t.test('a fresh response is served from the cache, with Age, and the origin is asked once', async (t) => {
  const origin = await startOrigin(t, numbered({ 'cache-control': 'max-age=60' }))
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  const first = await get(proxy.url + '/a')
  t.equal(first.headers['x-cache'], 'MISS', `got X-Cache ${first.headers['x-cache']}, want MISS`)
  const second = await get(proxy.url + '/a')
  t.equal(second.status, 200)
  t.equal(second.headers['x-cache'], 'HIT', `got X-Cache ${second.headers['x-cache']}, want HIT`)
  t.equal(second.body, '/a #1', 'the stored body')
  t.match(second.headers.age, /^\d+$/, 'a hit says its Age')
  t.equal(second.headers['content-length'], String('/a #1'.length))
  const head = await get(proxy.url + '/a', {}, 'HEAD')
  t.equal(head.headers['x-cache'], 'HIT', 'HEAD is answered from the stored GET')
  t.equal(head.headers['content-length'], String('/a #1'.length), 'with the length, without the body')
  t.equal(head.body, '')
  t.equal((await get(proxy.url + '/a?x=1')).body, '/a?x=1 #2', 'another query is another key')
  t.equal((await get(proxy.url + '/a', { host: 'other.test' })).headers['x-cache'], 'MISS', 'another Host is another key')
  t.equal(origin.seen.length, 3, `got ${origin.seen.length} requests at the origin, want 3`)
})

t.test('Vary: each variant is stored and served on its own', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    const body = `hello in ${req.headers['accept-language']}`
    // with a Content-Length, C1 completes the response on its last byte, before C2's end
    res.writeHead(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language', 'content-length': body.length })
    res.end(body)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  for (const round of [1, 2]) {
    for (const lang of ['en', 'fr']) {
      const res = await get(proxy.url + '/v', { 'accept-language': lang })
      t.equal(res.body, `hello in ${lang}`, `round ${round}, ${lang}`)
      t.equal(res.headers['x-cache'], round === 1 ? 'MISS' : 'HIT', `round ${round}, ${lang}: got ${res.headers['x-cache']}`)
    }
  }
  t.equal(origin.seen.length, 2, `got ${origin.seen.length} requests at the origin, want 2`)
})

t.test('what is never stored or looked up: no-store, private, Set-Cookie, Authorization, POST, Range', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    const cc = req.url === '/no-store' ? 'no-store' : req.url === '/private' ? 'private, max-age=60' : 'max-age=60'
    res.writeHead(200, { 'cache-control': cc, ...(req.url === '/cookie' ? { 'set-cookie': 'a=1' } : {}) })
    res.end(`${req.method} ${req.url}`)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  for (const path of ['/no-store', '/private', '/cookie']) {
    await get(proxy.url + path)
    const again = await get(proxy.url + path)
    t.equal(again.headers['x-cache'], 'MISS', `${path}: got X-Cache ${again.headers['x-cache']} the second time, want MISS`)
  }
  await get(proxy.url + '/open')
  const authorized = await get(proxy.url + '/open', { authorization: 'Basic dTpw' })
  t.equal(authorized.headers['x-cache'], 'BYPASS', 'a request with Authorization is never answered from the cache')
  const post = await get(proxy.url + '/open', {}, 'POST')
  t.equal(post.headers['x-cache'], 'BYPASS', 'POST bypasses')
  t.equal(post.body, 'POST /open', 'and reaches the origin')
  const range = await get(proxy.url + '/open', { range: 'bytes=0-1' })
  t.equal(range.headers['x-cache'], 'BYPASS', 'a Range request bypasses')
  t.equal((await get(proxy.url + '/open')).headers['x-cache'], 'HIT', 'the plain GET is still a hit')
  t.equal(origin.seen.length, 10, `got ${origin.seen.length} requests at the origin, want 10`)
})

t.test('a stale entry is revalidated: a 304 refreshes it and the client gets the whole 200', async (t) => {
  let version = 'v1'
  const origin = await startOrigin(t, (req, res) => {
    const etag = `"${version}"`
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag, 'cache-control': 'max-age=0' })
      return res.end()
    }
    res.writeHead(200, { etag, 'cache-control': 'max-age=0', 'content-type': 'text/plain' })
    res.end(`body ${version}`)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  t.equal((await get(proxy.url + '/r')).headers['x-cache'], 'MISS')
  const revalidated = await get(proxy.url + '/r')
  t.equal(revalidated.status, 200, `got ${revalidated.status}, want 200`)
  t.equal(revalidated.headers['x-cache'], 'REVALIDATED', `got X-Cache ${revalidated.headers['x-cache']}, want REVALIDATED`)
  t.equal(revalidated.body, 'body v1', 'the stored body')
  t.equal(origin.seen[1]?.headers['if-none-match'], '"v1"', 'the origin was asked with the stored ETag')
  version = 'v2'
  const changed = await get(proxy.url + '/r')
  t.equal(changed.body, 'body v2', 'a changed resource comes back whole')
  t.equal(changed.headers['x-cache'], 'MISS')
})

t.test('the client\'s Cache-Control: no-cache forces revalidation of a fresh entry; its own validators stay its own', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.headers['if-none-match'] === '"x"') {
      res.writeHead(304, { etag: '"x"', 'cache-control': 'max-age=60' })
      return res.end()
    }
    res.writeHead(200, { etag: '"x"', 'cache-control': 'max-age=60' })
    res.end('fresh')
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  const first = await get(proxy.url + '/n', { 'if-none-match': '"x"' })
  t.equal(first.status, 200, 'a filling request asks the origin for the whole response (got it whole)')
  t.equal(origin.seen[0]?.headers['if-none-match'], undefined, 'without the client\'s If-None-Match')
  t.equal((await get(proxy.url + '/n')).headers['x-cache'], 'HIT')
  const forced = await get(proxy.url + '/n', { 'cache-control': 'no-cache' })
  t.equal(forced.headers['x-cache'], 'REVALIDATED', `got X-Cache ${forced.headers['x-cache']}, want REVALIDATED`)
  t.equal(forced.body, 'fresh')
  t.equal(origin.seen.length, 2, `got ${origin.seen.length} requests at the origin, want 2`)
})

/** The Last-Modified of the conditional tests' origin, and dates around it. */
const LAST_MODIFIED = 'Tue, 01 Oct 2024 10:00:00 GMT'
const LATER = 'Tue, 01 Oct 2024 10:00:05 GMT'
const EARLIER = 'Tue, 01 Oct 2024 09:59:55 GMT'

t.test('a client whose copy matches a fresh entry gets a 304 from the cache: If-None-Match, then If-Modified-Since', async (t) => {
  const origin = await startOrigin(t, numbered({ 'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': LAST_MODIFIED }))
  const ends: number[] = []
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB', hooks: [{ end: (_exchange, end) => void ends.push(end.status) }] })
  // the raw requests' Host, so that they find this entry
  t.equal((await get(proxy.url + '/c', { host: 'x' })).headers['x-cache'], 'MISS')
  const conn = await openRaw(t, proxy.port)
  /** One request on the keep-alive connection with `fields`: the whole response as it came over the wire. */
  const ask = async (fields: string, method = 'GET') => {
    t.equal(conn.unread().length, 0, 'nothing unread: no body bytes came after the last response')
    conn.socket.write(`${method} /c HTTP/1.1\r\nHost: x\r\n${fields}\r\n`)
    return conn.readResponse({ bodyless: method === 'HEAD' })
  }
  const notModified = await ask('If-None-Match: "v1"\r\n')
  t.equal(notModified.status, 304, `got ${notModified.status}, want 304`)
  t.ok(notModified.text.endsWith('\r\n\r\n'), 'the head alone')
  t.equal(notModified.headers.etag, '"v1"')
  t.equal(notModified.headers['last-modified'], LAST_MODIFIED)
  t.equal(notModified.headers['cache-control'], 'max-age=60')
  t.equal(notModified.headers['x-cache'], 'HIT')
  t.match(notModified.headers.age, /^\d+$/)
  t.ok(notModified.headers.date, 'Date')
  for (const name of ['content-length', 'transfer-encoding', 'content-type']) t.notOk(name in notModified.headers, `no ${name}`)
  const cases: [string, string, number][] = [
    ['If-None-Match: "v0"\r\n', 'another ETag', 200],
    ['If-None-Match: *\r\n', '*', 304],
    ['If-None-Match: W/"v1"\r\n', 'the weak ETag (weak comparison)', 304],
    ['If-None-Match: "a,b", "v0", W/"v1"\r\n', 'a list holding it', 304],
    [`If-Modified-Since: ${LAST_MODIFIED}\r\n`, 'If-Modified-Since the Last-Modified', 304],
    [`If-Modified-Since: ${LATER}\r\n`, 'If-Modified-Since later', 304],
    [`If-Modified-Since: ${EARLIER}\r\n`, 'If-Modified-Since earlier', 200],
    ['If-Modified-Since: yesterday\r\n', 'If-Modified-Since not a date', 200],
    [`If-None-Match: "v0"\r\nIf-Modified-Since: ${LATER}\r\n`, 'If-None-Match not matching, If-Modified-Since matching (If-None-Match decides)', 200],
    [`If-None-Match: "v1"\r\nIf-Modified-Since: ${EARLIER}\r\n`, 'If-None-Match matching, If-Modified-Since not', 304],
  ]
  for (const [fields, what, status] of cases) {
    const res = await ask(fields)
    t.equal(res.status, status, `${what}: got ${res.status}, want ${status}`)
    t.equal(res.headers['x-cache'], 'HIT', `${what}: from the cache`)
    if (status === 200) t.equal(res.body, '/c #1', `${what}: the stored body`)
  }
  const head = await ask('If-None-Match: "v1"\r\n', 'HEAD')
  t.equal(head.status, 304, 'HEAD too')
  t.equal(ends.filter((status) => status === 304).length, 8, `the exchanges ended as 304 (ends: ${ends.join(',')})`)
  t.equal(origin.seen.length, 1, `got ${origin.seen.length} requests at the origin, want 1: the 304s came from the cache`)

  const post = await get(proxy.url + '/c', { 'if-none-match': '"v1"' }, 'POST')
  t.equal(post.status, 200, 'a POST with If-None-Match is no conditional for the cache')
  t.equal(post.headers['x-cache'], 'BYPASS')
  t.equal(origin.seen[1]?.headers['if-none-match'], '"v1"', 'its If-None-Match went to the origin')
})

t.test('If-Modified-Since against an entry without Last-Modified uses its Date; a stored 404 is never a 304', async (t) => {
  // the origin's Date, which is stored; the client sees the one uWS writes
  let date = new Date()
  const origin = await startOrigin(t, (req, res) => {
    date = new Date()
    res.writeHead(req.url === '/gone' ? 404 : 200, { 'cache-control': 'max-age=60', etag: '"e"', date: date.toUTCString() })
    res.end(`${req.url}`)
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  await get(proxy.url + '/d')
  const at = (s: number) => new Date(date.getTime() + s * 1000).toUTCString()
  t.equal((await get(proxy.url + '/d', { 'if-modified-since': at(0) })).status, 304, 'the stored Date')
  t.equal((await get(proxy.url + '/d', { 'if-modified-since': at(-10) })).status, 200, 'before the stored Date')
  await get(proxy.url + '/gone')
  const gone = await get(proxy.url + '/gone', { 'if-none-match': '"e"' })
  t.equal(gone.status, 404, `got ${gone.status}, want the stored 404`)
  t.equal(gone.headers['x-cache'], 'HIT')
  t.equal(origin.seen.length, 2, `got ${origin.seen.length} requests at the origin, want 2`)
})

t.test('a matching conditional on a revalidated entry is a 304; on a miss, the whole 200', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.headers['if-none-match'] === '"r1"') {
      res.writeHead(304, { etag: '"r1"', 'cache-control': 'max-age=0' })
      return res.end()
    }
    res.writeHead(200, { etag: '"r1"', 'cache-control': 'max-age=0', 'content-type': 'text/plain' })
    res.end('body r1')
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  const miss = await get(proxy.url + '/rv', { host: 'x', 'if-none-match': '"r1"' })
  t.equal(miss.status, 200, 'a miss asks the origin for the whole response and passes it on')
  t.equal(miss.headers['x-cache'], 'MISS')
  const conn = await openRaw(t, proxy.port, 'GET /rv HTTP/1.1\r\nHost: x\r\nIf-None-Match: "r1"\r\n\r\n')
  const revalidated = await conn.readResponse()
  t.equal(revalidated.status, 304, `got ${revalidated.status}, want 304`)
  t.equal(revalidated.headers['x-cache'], 'REVALIDATED')
  t.equal(revalidated.headers.etag, '"r1"')
  t.notOk('content-length' in revalidated.headers, 'no Content-Length')
  t.ok(revalidated.text.endsWith('\r\n\r\n'), 'the head alone')
  conn.socket.write('GET /rv HTTP/1.1\r\nHost: x\r\n\r\n')
  const after = await conn.readResponse()
  t.equal(after.body, 'body r1', 'the connection goes on with the next response, no body bytes between')
  t.equal(origin.seen[1]?.headers['if-none-match'], '"r1"', 'the origin was asked with the stored ETag')
  t.equal(origin.seen.length, 3, `got ${origin.seen.length} requests at the origin, want 3`)
})

t.test('a HEAD miss keeps the client\'s conditionals: it fills nothing, so the backend may answer 304', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    const matches = req.headers['if-none-match'] === '"h1"'
    res.writeHead(matches ? 304 : 200, { etag: '"h1"', 'cache-control': 'max-age=60' })
    res.end()
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  const head = await get(proxy.url + '/h', { 'if-none-match': '"h1"' }, 'HEAD')
  t.equal(origin.seen[0]?.headers['if-none-match'], '"h1"', 'the origin saw the client\'s If-None-Match')
  t.equal(head.status, 304, `got ${head.status}, want the origin's 304`)
  t.equal(head.headers['x-cache'], 'MISS')
})

t.test('20 concurrent misses for one key make one backend request; the others are answered from it', async (t) => {
  let release = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const origin = await startOrigin(t, (_req, res) => {
    void held.then(() => {
      res.writeHead(200, { 'cache-control': 'max-age=60' })
      res.end('one answer')
    })
  })
  let arrived = 0
  const counter: Hooks = { c1Request: () => void arrived++ }
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB', hooks: [counter] })
  const answers = Array.from({ length: 20 }, () => get(proxy.url + '/hot'))
  // user hooks run before the cache's lookup: once all 20 are counted, all 20 have looked up
  await waitFor(() => arrived === 20 && origin.seen.length === 1, '20 requests at the proxy, 1 at the origin')
  release()
  const results = await within(Promise.all(answers), 10_000, 'the 20 answers')
  t.ok(results.every((r) => r.status === 200 && r.body === 'one answer'), 'every client got the answer')
  const statuses = results.map((r) => r.headers['x-cache']).sort()
  t.same(statuses, [...Array(19).fill('HIT'), 'MISS'], `got X-Cache ${statuses.join(',')}`)
  t.equal(origin.seen.length, 1, `got ${origin.seen.length} requests at the origin, want 1`)
})

t.test('the size limit: objects over --cache-max-object pass uncached, and the least recently used goes first', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' })
    res.end(Buffer.alloc(req.url === '/big' ? 5000 : 3000, 'x'))
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '8k', cacheMaxObject: '4k' })
  await get(proxy.url + '/big')
  t.equal((await get(proxy.url + '/big')).headers['x-cache'], 'MISS', 'a 5000-byte object over a 4k limit is not stored')
  await get(proxy.url + '/1')
  await get(proxy.url + '/2')
  t.equal((await get(proxy.url + '/1')).headers['x-cache'], 'HIT', '/1 and /2 fit in 8k')
  await get(proxy.url + '/3')
  t.equal((await get(proxy.url + '/2')).headers['x-cache'], 'MISS', '/3 pushed out /2, the least recently used')
  t.equal((await get(proxy.url + '/3')).headers['x-cache'], 'HIT', '/3 is stored')
})

t.test('a response stale at once with no validator is not stored: it would only push out entries of use', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    // /kept is fresh; /n… say nothing of freshness and carry no ETag or Last-Modified
    res.writeHead(200, req.url === '/kept' ? { 'cache-control': 'max-age=60' } : {})
    res.end(Buffer.alloc(3000, 'x'))
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '8k' })
  await get(proxy.url + '/kept')
  for (let i = 0; i < 5; i++) t.equal((await get(`${proxy.url}/n${i}`)).headers['x-cache'], 'MISS', `/n${i} passes through`)
  t.equal((await get(proxy.url + '/kept')).headers['x-cache'], 'HIT', '5 × 3000 bytes passed through an 8k cache without pushing /kept out')
  t.equal((await get(proxy.url + '/n0')).headers['x-cache'], 'MISS', 'and none of them was stored')
})

t.test('a slow miss streams to the client while it fills the entry', async (t) => {
  let finish = () => {}
  const finished = new Promise<void>((resolve) => (finish = resolve))
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'text/plain' })
    res.write('first part, ')
    void finished.then(() => res.end('second part'))
  })
  const proxy = await startTestProxy(t, { backend: origin.url, cache: '1MB' })
  const res = await request(proxy.url + '/slow')
  const reader = res.body[Symbol.asyncIterator]()
  const first = await within(reader.next(), 5000, 'the first part before the origin finished')
  t.equal(Buffer.from(first.value as Buffer).toString(), 'first part, ', 'the first bytes arrived while the origin still held the rest')
  finish()
  let rest = ''
  for (let next = await reader.next(); !next.done; next = await reader.next()) rest += Buffer.from(next.value as Buffer).toString()
  t.equal(rest, 'second part')
  const hit = await get(proxy.url + '/slow')
  t.equal(hit.headers['x-cache'], 'HIT')
  t.equal(hit.body, 'first part, second part', 'the whole body was stored')
})

t.test('--cache takes sizes as nginx writes them; a bad one is a one-line error', async (t) => {
  const { toConfig, ConfigError } = await import('../src/config/config.js').then(async (m) => ({ ...m, ...(await import('../src/index.js')) }))
  t.equal(toConfig({ cache: '64MB' }).cacheBytes, 64 * 1024 * 1024)
  t.equal(toConfig({ cache: '512k' }).cacheBytes, 512 * 1024)
  t.equal(toConfig({ cache: 1000 }).cacheBytes, 1000)
  t.equal(toConfig({}).cacheBytes, undefined, 'off by default')
  t.equal(toConfig({}).cacheMaxObjectBytes, 8 * 1024 * 1024, '--cache-max-object defaults to 8MB')
  t.throws(() => toConfig({ cache: 'lots' }), new ConfigError('cache: "lots" is not a size of 1 bytes or more (write 1024, 512k, 64MB or 1G)'))
})
