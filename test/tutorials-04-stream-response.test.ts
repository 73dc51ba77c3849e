// Step 4's README: each backend chunk reaches the client before the backend has finished; HEAD/204/304 bodiless.
import t from 'tap'
import http from 'node:http'
import { once } from 'node:events'
import uWS from 'uWebSockets.js'
import type { ServerResponse } from 'node:http'
import { startStep } from './helpers/tutorial-step.ts'
import { within } from './helpers/wait.ts'
import { open, send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

t.test('the curl -i in the README: /stream through the step-1 origin', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '04-stream-response', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const got = await send(proxy.url + '/stream')
  t.equal(got.status, 200)
  t.equal(got.headers['transfer-encoding'], 'chunked', 'uWS streams with chunked encoding')
  t.equal(got.headers['content-length'], undefined)
  t.equal(got.body, 'chunk 1\nchunk 2\nchunk 3\n')
  const root = await send(proxy.url + '/')
  t.equal(root.headers['transfer-encoding'], 'chunked', 'even a response the backend sent with a length')
  t.equal(root.body, 'origin server response\n')
  const head = await send(proxy.url + '/', { method: 'HEAD' })
  t.equal(head.headers['content-length'], '23', 'HEAD keeps the backend Content-Length')
  t.equal(head.body, '')
})

t.test('streaming and bodiless answers, against a recording origin', async (t) => {
  let release = () => {}
  const origin = await startOrigin(t, (req, res: ServerResponse) => {
    if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first\n')
      release = () => res.end('second\n')
      return
    }
    if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': '1234' }).end()
    const status = Number(req.url!.slice(1))
    res.writeHead(status, status === 304 ? { etag: '"v1"' } : {}).end()
  })
  const proxy = await startStep(t, '04-stream-response', ['--listen', '127.0.0.1:0', '--backend', origin.url])

  t.test('the first chunk reaches the client while the backend is still sending', async (t) => {
    const got = await open(proxy.url + '/slow')
    // the backend ends only at release(): a proxy that waited for the whole body would time out here
    t.equal(await within(got.firstChunk, 10_000, 'the first chunk while the backend still sends'), 'first\n')
    release()
    t.equal(await within(got.body, 10_000, 'the whole body'), 'first\nsecond\n')
  })

  t.test('HEAD, 204 and 304 go out without a body or a made-up length', async (t) => {
    const head = await send(proxy.url + '/', { method: 'HEAD' })
    t.equal(head.headers['content-length'], '1234', 'HEAD: the length the backend announced')
    for (const status of [204, 304]) {
      const got = await send(`${proxy.url}/${status}`)
      t.equal(got.status, status)
      t.equal(got.headers['content-length'], undefined, `${status}: no Content-Length`)
      t.equal(got.headers['transfer-encoding'], undefined, `${status}: no Transfer-Encoding`)
      t.equal(got.body, '', `${status}: no body`)
    }
  })
})

t.test('uWS: endWithoutBody(length) leaves the response unfinished; a written header does not', async (t) => {
  const aborted: string[] = []
  let listen: uWS.us_listen_socket | false = false
  const app = uWS.App().any('/*', (res, req) => {
    const url = req.getUrl()
    res.onAborted(() => aborted.push(url))
    if (url === '/argument') res.endWithoutBody(23)
    else res.writeHeader('content-length', '23').endWithoutBody()
  })
  const port = await new Promise<number>((resolve) => app.listen('127.0.0.1', 0, (s) => {
    listen = s
    resolve(s ? uWS.us_socket_local_port(s) : -1)
  }))
  t.teardown(() => { if (listen) uWS.us_listen_socket_close(listen) })

  /** Two HEAD requests on one keep-alive connection: how did the second one fare? */
  const twice = async (path: string) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    t.teardown(() => agent.destroy())
    const head = async () => {
      const req = http.request({ host: '127.0.0.1', port, path, method: 'HEAD', agent })
      req.end()
      const [res] = await within(once(req, 'response'), 10_000, `HEAD ${path}`) as [http.IncomingMessage]
      t.equal(res.headers['content-length'], '23', `${path}: the length is sent`)
      res.resume()
      await once(res, 'end')
      return req.reusedSocket ? 'reused the connection' : 'on a new connection'
    }
    await head()
    return head().catch((err: NodeJS.ErrnoException) => `failed: ${err.code}`)
  }
  t.equal(await twice('/header'), 'reused the connection', 'writeHeader + endWithoutBody(): keep-alive works')
  t.equal(await twice('/argument'), 'failed: ECONNRESET', 'endWithoutBody(23): the next request on it is dropped')
  t.same(aborted, ['/argument'], 'and onAborted fired for the response that had "ended"')
})
