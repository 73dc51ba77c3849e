// The response cache (--cache): hits, Vary, what bypasses it, revalidation, coalesced misses, its size, a streamed miss.
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import type { Hooks } from '../src/index.js'
import { startOrigin, type OriginHandler } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
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
