// Step 1's README: the origin answers "origin server response", and its /headers, /stream, /upload, /time paths.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { startStep } from './helpers/tutorial-step.ts'
import { within } from './helpers/wait.ts'
import { open, send } from './helpers/http-client.ts'

t.test('the origin answers as its README shows', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  t.match(origin.readyLine, /^origin listening on http:\/\/127\.0\.0\.1:\d+$/, 'ready line')

  const root = await send(origin.url + '/')
  t.equal(root.status, 200, 'GET / status')
  t.equal(root.headers['content-type'], 'text/plain', 'GET / content-type')
  t.equal(root.headers['content-length'], '23', 'GET / content-length')
  t.equal(root.body, 'origin server response\n', 'GET / body')
  await origin.waitForLine(/^origin: GET \/ \(Host: 127\.0\.0\.1:\d+\)$/)

  const head = await send(origin.url + '/', { method: 'HEAD' })
  t.equal(head.headers['content-length'], '23', 'HEAD / keeps the GET length')
  t.equal(head.body, '', 'HEAD / has no body')

  const headers = await send(origin.url + '/headers?x=1', { headers: { 'x-demo': 'yes' } })
  const seen = JSON.parse(headers.body)
  t.equal(seen.url, '/headers?x=1', '/headers shows the path and query it got')
  t.equal(seen.headers['x-demo'], 'yes', '/headers shows the headers it got')

  const stream = await send(origin.url + '/stream')
  t.equal(stream.body, 'chunk 1\nchunk 2\nchunk 3\n', '/stream sends three lines')

  const upload = await send(origin.url + '/upload', { method: 'POST', body: Buffer.alloc(100_000) })
  t.equal(upload.body, 'received 100000 bytes\n', '/upload counts the body')

  const time = await send(origin.url + '/time')
  t.match(time.body, /^origin time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/, '/time: the origin\'s clock')
  t.equal(time.headers['cache-control'], 'max-age=10', '/time may be kept 10 s')
})

t.test('/stream pauses between its lines', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const got = await open(origin.url + '/stream')
  const first = got.firstChunk.then(() => Date.now())
  let last = 0
  got.res.on('data', () => { last = Date.now() })
  await within(got.body, 10_000, 'the /stream body')
  const took = last - await first
  t.ok(took >= 450, `about 300 ms before each of the last two lines (${took} ms from first to last)`)
})

t.test('a port in use is one line and exit code 1', async (t) => {
  const busy = createServer().listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => { busy.close() })
  const { port } = busy.address() as AddressInfo
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tutorials/01-origin-server/main.ts',
    '--listen', `127.0.0.1:${port}`], { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 20_000 })
  t.equal(run.status, 1)
  t.equal(run.stderr.trim(), `cannot listen on 127.0.0.1:${port}: EADDRINUSE`)
})
