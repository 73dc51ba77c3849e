// Step 15's README: /time is stored for its max-age and served with Age and X-Cache: HIT; what is never stored; a miss streams.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { startStep } from './helpers/tutorial-step.ts'
import { open, send } from './helpers/http-client.ts'
import { waitFor, within } from './helpers/wait.ts'

/** An origin of the test's own, counting its requests. */
async function origin(t: Test, handler: http.RequestListener) {
  let count = 0
  const server = http.createServer((req, res) => { count++; handler(req, res) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: () => count }
}

t.test('the README run: /time is a MISS, then a HIT with the same time and an Age; / is a MISS every time', async (t) => {
  const step1 = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '15-caching', ['--listen', '127.0.0.1:0', '--backend', step1.url])
  t.match(proxy.readyLine, new RegExp(`^caching proxy to ${step1.url} listening on http://127\\.0\\.0\\.1:\\d+$`))
  const miss = await send(`${proxy.url}/time`)
  t.equal(miss.status, 200)
  t.equal(miss.headers['x-cache'], 'MISS', `got X-Cache ${miss.headers['x-cache']}, want MISS`)
  t.equal(miss.headers['cache-control'], 'max-age=10')
  t.match(miss.body, /^origin time /)
  const hit = await send(`${proxy.url}/time`)
  t.equal(hit.headers['x-cache'], 'HIT', `got X-Cache ${hit.headers['x-cache']}, want HIT`)
  t.match(hit.headers.age, /^\d+$/, 'a hit carries Age')
  t.equal(hit.body, miss.body, 'the same time: the stored answer')
  t.same(hit.rawHeaders.slice(0, 4).map(([name]) => name), ['content-type', 'cache-control', 'age', 'x-cache'], 'the headers in the README\'s order')
  await proxy.waitForLine(/^cache: stored \/time for 10 s$/)
  await proxy.waitForLine(/^cache: HIT \/time \(age \d+ s\)$/)
  t.equal(step1.stdout.filter((l) => l.startsWith('origin: GET /time')).length, 1, 'the origin saw /time once')
  for (let i = 0; i < 2; i++) t.equal((await send(`${proxy.url}/`)).headers['x-cache'], 'MISS', '/ is never stored')
  const authorized = await send(`${proxy.url}/time`, { headers: { authorization: 'Basic dTpw' } })
  t.equal(authorized.headers['x-cache'], 'BYPASS', 'with Authorization: BYPASS')
})

t.test('an expired entry is a MISS again; no-store, private and Set-Cookie are never stored', async (t) => {
  const o = await origin(t, (req, res) => {
    const cc = { '/short': 'max-age=1', '/no-store': 'no-store, max-age=60', '/private': 'private, max-age=60', '/cookie': 'max-age=60' }
    res.writeHead(200, { 'cache-control': cc[req.url as keyof typeof cc] ?? '', ...(req.url === '/cookie' ? { 'set-cookie': 'a=1' } : {}) })
    res.end(`${req.url} ${Date.now()}`)
  })
  const proxy = await startStep(t, '15-caching', ['--listen', '127.0.0.1:0', '--backend', o.url])
  t.equal((await send(`${proxy.url}/short`)).headers['x-cache'], 'MISS')
  t.equal((await send(`${proxy.url}/short`)).headers['x-cache'], 'HIT')
  // max-age=1: within a few seconds it must be asked for again
  await waitFor(async () => (await send(`${proxy.url}/short`)).headers['x-cache'] === 'MISS', '/short to expire', 5000)
  for (const path of ['/no-store', '/private', '/cookie']) {
    await send(`${proxy.url}${path}`)
    t.equal((await send(`${proxy.url}${path}`)).headers['x-cache'], 'MISS', `${path} is never stored`)
  }
})

t.test('a miss streams: the first chunk arrives while the origin holds the rest; then it is stored whole', async (t) => {
  let finish = () => {}
  const o = await origin(t, (_req, res) => {
    res.writeHead(200, { 'cache-control': 'max-age=60' })
    res.write('first, ')
    finish = () => res.end('second')
  })
  const proxy = await startStep(t, '15-caching', ['--listen', '127.0.0.1:0', '--backend', o.url])
  const got = await open(`${proxy.url}/slow`)
  t.equal(await within(got.firstChunk, 5000, 'the first chunk'), 'first, ', 'the first chunk before the origin finished')
  finish()
  t.equal(await got.body, 'first, second', 'then the rest')
  const hit = await send(`${proxy.url}/slow`)
  t.equal(hit.headers['x-cache'], 'HIT')
  t.equal(hit.body, 'first, second', 'stored whole')
  t.equal(o.count(), 1)
})
