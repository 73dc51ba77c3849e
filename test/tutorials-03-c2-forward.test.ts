// Step 3's README: each request is forwarded to the backend with Host rewritten; the answer comes back whole.
import t from 'tap'
import { Agent } from 'undici'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

t.test('the curl -i in the README, through the step-1 origin', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '03-c2-forward', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  t.equal(proxy.readyLine, `proxy to ${origin.url} listening on ${proxy.url}`, 'ready line')
  const got = await send(proxy.url + '/')
  t.equal(got.status, 200)
  t.equal(got.statusText, 'OK')
  t.equal(got.headers['content-type'], 'text/plain')
  t.equal(got.headers['content-length'], '23', 'uWS sets the length of the buffered body')
  t.equal(got.body, 'origin server response\n')
  await proxy.waitForLine(new RegExp(`^C1: GET / → ${origin.url}$`))
  const port = new URL(origin.url).port
  await origin.waitForLine(new RegExp(`^origin: GET / \\(Host: 127\\.0\\.0\\.1:${port}\\)$`))

  const headers = JSON.parse((await send(proxy.url + '/headers')).body)
  t.equal(headers.headers.host, `127.0.0.1:${port}`, '/headers shows the backend Host, not the proxy one')
})

t.test('method, path, query and headers reach the backend; the answer comes back', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': '23' }).end()
    res.writeHead(201, 'Made', [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'],
      ['x-from', 'origin']])
    res.end('made it\n')
  })
  const proxy = await startStep(t, '03-c2-forward', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const got = await send(proxy.url + '/a/b?x=1&y=2', { method: 'DELETE', headers: { 'x-demo': 'yes' } })
  const seen = origin.seen[0]!
  t.equal(seen.method, 'DELETE')
  t.equal(seen.url, '/a/b?x=1&y=2', 'path and query forwarded')
  t.equal(seen.headers.host, origin.host, 'Host rewritten to the backend')
  t.equal(seen.headers['x-demo'], 'yes', 'client headers forwarded')
  t.equal(got.status, 201)
  t.equal(got.statusText, 'Made', "the backend's reason phrase")
  t.same(got.rawHeaders.filter(([n]) => n === 'set-cookie').map(([, v]) => v), ['a=1', 'b=2'], 'one Set-Cookie per cookie')
  t.equal(got.rawHeaders.filter(([n]) => n === 'date').length, 1, 'a single Date')
  t.equal(got.headers['x-from'], 'origin')
  t.equal(got.body, 'made it\n')

  const head = await send(proxy.url + '/', { method: 'HEAD' })
  t.equal(head.headers['content-length'], '0', 'HEAD says Content-Length: 0, as the README warns (step 4 fixes it)')
})

t.test('a backend that refuses drops the client (step 5 answers 502)', async (t) => {
  const proxy = await startStep(t, '03-c2-forward', ['--listen', '127.0.0.1:0', '--backend', 'http://127.0.0.1:1'])
  await t.rejects(send(proxy.url + '/'), 'the client sees the connection close without an answer')
  await proxy.waitForLine(/^C2 failed: connect ECONNREFUSED /)
})

t.test('undici wants onRequestStart to treat a handler as the v7 kind', async (t) => {
  const agent = new Agent()
  t.teardown(() => agent.close())
  t.throws(() => agent.dispatch({ origin: 'http://127.0.0.1:1', path: '/', method: 'GET' }, {
    onResponseStart() {}, onResponseData() {}, onResponseEnd() {}, onResponseError() {},
  }), { message: 'invalid onConnect method' })
})
