// Step 1's README: the origin answers "origin server response", and its /headers, /stream, /upload paths.
import t from 'tap'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/tutorial-http.ts'

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
})
