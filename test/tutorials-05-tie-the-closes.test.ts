// Step 5's README: the client leaving closes the backend connection; a failing backend gives 502 or a broken C1.
import t from 'tap'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { startStep, within } from './helpers/tutorial-step.ts'
import { open, send, startOrigin } from './helpers/tutorial-http.ts'

t.test('the curl -i in the README: a backend that refuses gives 502', async (t) => {
  const proxy = await startStep(t, '05-tie-the-closes', ['--listen', '127.0.0.1:0', '--backend', 'http://127.0.0.1:1'])
  const got = await send(proxy.url + '/')
  t.equal(got.status, 502)
  t.equal(got.statusText, 'Bad Gateway')
  t.equal(got.headers['content-length'], '30')
  t.equal(got.body, '502 Bad Gateway: ECONNREFUSED\n')
  await proxy.waitForLine(/^C2 failed: GET \/: ECONNREFUSED$/)
  t.equal((await send(proxy.url + '/again')).status, 502, 'and the proxy keeps serving')
})

t.test('closes are tied both ways', async (t) => {
  const backendSockets: Socket[] = []
  const origin = await startOrigin(t, (req, res) => {
    backendSockets.push(req.socket)
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('partial\n')
    if (req.url === '/die') setImmediate(() => req.socket.destroy()) // mid-body, after the head
    // '/slow' never ends: only the client leaving can finish it
  })
  const proxy = await startStep(t, '05-tie-the-closes', ['--listen', '127.0.0.1:0', '--backend', origin.url])

  t.test('a client that leaves closes the backend connection', async (t) => {
    const got = await open(proxy.url + '/slow')
    t.equal(await within(got.firstChunk, 10_000, 'the first chunk'), 'partial\n')
    const backend = backendSockets.at(-1)!
    const closed = once(backend, 'close')
    got.destroy()
    await within(closed, 10_000, 'the backend connection to close after the client left')
    t.pass('the backend saw its connection close')
  })

  t.test('a backend that dies mid-body breaks the client response', async (t) => {
    const got = await open(proxy.url + '/die')
    t.equal(got.res.statusCode, 200, 'the head had gone out already')
    const err = await within(got.body, 10_000, 'the client response to end').then(() => null, (e: Error) => e)
    t.ok(err, 'the client sees a broken response, not a complete one')
    t.notMatch(err?.message, /timed out/, 'broken at once, not left hanging')
    await proxy.waitForLine(/^C2 failed: GET \/die: UND_ERR_SOCKET$/)
  })
})
