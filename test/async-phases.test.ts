// Request and body hooks that return promises: what waits for them, and that nothing is lost or reordered meanwhile.
import t from 'tap'
import { request } from 'undici'
import type { Hooks } from '../src/index.js'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { seededRandom } from './helpers/seeded-random.js'

/** Settles on the next turn of the event loop, as a store's answer would. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

t.test('a request hook that waits: its answer goes out, and the hooks after it run only when it went on', async (t) => {
  const origin = await startOrigin(t)
  const order: string[] = []
  const waiting: Hooks = {
    async c1Request({ request }) {
      await nextTurn()
      order.push(`wait ${request.c2Path}`)
      return request.c2Path === '/no' ? { status: 429, headers: { 'retry-after': '1' }, body: 'slow down\n' } : undefined
    },
  }
  const after: Hooks = { c1Request: ({ request }) => void order.push(`after ${request.c2Path}`) }
  const proxy = await startTestProxy(t, { backend: origin.url, hooks: [waiting, after] })
  const refused = await request(proxy.url + '/no')
  t.equal(refused.statusCode, 429)
  t.equal(refused.headers['retry-after'], '1')
  t.equal(await refused.body.text(), 'slow down\n')
  const passed = await request(proxy.url + '/yes')
  t.equal(await passed.body.text(), 'origin server response')
  t.same(order, ['wait /no', 'wait /yes', 'after /yes'], `got ${order.join(', ')}`)
  t.same(origin.seen.map((s) => s.url), ['/yes'], 'the refused request never reached the origin')
})

t.test('an upload waits whole behind a request hook that waits: every byte reaches the backend', async (t) => {
  const origin = await startOrigin(t, (_req, res, seen) => res.end(`got ${seen.body.length}`))
  const slow: Hooks = { c1Request: () => nextTurn().then(() => undefined) }
  const proxy = await startTestProxy(t, { backend: origin.url, hooks: [slow] })
  const random = seededRandom(7)
  const body = Buffer.from(Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256)))
  const res = await request(proxy.url + '/upload', { method: 'POST', body })
  t.equal(await res.body.text(), `got ${body.length}`)
  t.ok(origin.seen[0]?.body.equals(body), 'the backend got the same bytes')
})

t.test('a body hook that waits keeps the chunks in order, the last one included', async (t) => {
  const parts = Array.from({ length: 50 }, (_, i) => `part ${i};`)
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    // many small writes, some parsed from one read: they queue behind the hook's promises
    for (const part of parts) res.write(part)
    res.end()
  })
  const random = seededRandom(3)
  const upper: Hooks = {
    c2ResponseHead: (_e, head) => void (head.headers['content-length'] = undefined),
    // a random number of turns per chunk: later chunks would overtake earlier ones if not queued
    async c2ResponseBody(_e, chunk, last) {
      for (let n = Math.floor(random() * 3); n > 0; n--) await nextTurn()
      return last ? Buffer.from('END') : Buffer.from(chunk.toString().toUpperCase())
    },
  }
  const proxy = await startTestProxy(t, { backend: origin.url, hooks: [upper] })
  const res = await request(proxy.url + '/parts')
  t.equal(await res.body.text(), parts.join('').toUpperCase() + 'END')
})

t.test('a body hook hears the end of a response with a Content-Length, which completes on its last byte', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-length': 6 })
    res.write('abc')
    res.end('def')
  })
  const heard: string[] = []
  const listener: Hooks = { c2ResponseBody: (_e, chunk, last) => (heard.push(last ? 'last' : chunk.toString()), chunk) }
  const proxy = await startTestProxy(t, { backend: origin.url, hooks: [listener] })
  const res = await request(proxy.url)
  t.equal(await res.body.text(), 'abcdef')
  t.equal(heard.join(''), 'abcdeflast', `got ${heard.join(',')}: every chunk, then the end`)
})
