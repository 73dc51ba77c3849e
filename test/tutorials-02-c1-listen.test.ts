// Step 2's README: C1 logs each request and answers with what it copied; HttpRequest dies after an await.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import uWS from 'uWebSockets.js'
import { startStep } from './helpers/tutorial-step.ts'
import { within } from './helpers/wait.ts'
import { send } from './helpers/http-client.ts'

t.test('C1 answers and logs as its README shows', async (t) => {
  const c1 = await startStep(t, '02-c1-listen', ['--listen', '127.0.0.1:0'])
  t.match(c1.readyLine, /^C1 listening on http:\/\/127\.0\.0\.1:\d+$/, 'ready line')
  const got = await send(c1.url + '/hello?name=you')
  t.equal(got.status, 200)
  t.equal(got.statusText, 'OK')
  t.equal(got.headers['content-type'], 'text/plain')
  t.equal(got.headers['content-length'], '42', 'uWS sets Content-Length from end()')
  t.equal(got.headers['uwebsockets'], '20', 'uWS adds its own header')
  t.ok(got.headers['date'], 'uWS adds Date')
  t.equal(got.body, 'C1 got GET /hello?name=you from 127.0.0.1\n')
  await c1.waitForLine(/^C1: GET \/hello\?name=you from 127\.0\.0\.1$/)
})

t.test('reading HttpRequest after an await throws, as the README says', async (t) => {
  let thrown = ''
  let afterMicrotask = ''
  let listen: uWS.us_listen_socket | false = false
  const app = uWS.App().any('/*', async (res, req) => {
    res.onAborted(() => {})
    await Promise.resolve()
    afterMicrotask = req.getUrl() // uWS drains microtasks before it marks req dead: not a promise to rely on
    await new Promise((resolve) => setImmediate(resolve))
    try { req.getUrl() } catch (err) { thrown = (err as Error).message }
    res.cork(() => res.end('done'))
  })
  const port = await new Promise<number>((resolve) => app.listen('127.0.0.1', 0, (s) => {
    listen = s
    resolve(s ? uWS.us_socket_local_port(s) : -1)
  }))
  t.teardown(() => { if (listen) uWS.us_listen_socket_close(listen) })
  const got = await send(`http://127.0.0.1:${port}/late`)
  t.equal(got.body, 'done')
  t.equal(afterMicrotask, '/late', 'still readable after a bare microtask')
  t.match(thrown, /must not be accessed after await or route handler return/)
})

t.test('returning without answering or onAborted stops the process, as the README says', async (t) => {
  const program = `
    import uWS from 'uWebSockets.js'
    uWS.App().any('/*', () => {}).listen('127.0.0.1', 0, (s) => console.log(uWS.us_socket_local_port(s)))`
  const child = spawn(process.execPath, ['--input-type=module', '-e', program],
    { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = once(child, 'exit')
  const [port] = await within(once(child.stdout, 'data'), 10_000, 'the port') as [Buffer]
  await send(`http://127.0.0.1:${String(port).trim()}/`).catch(() => {})
  const [code, signal] = await within(exited, 10_000, 'the process to stop')
  t.ok(code !== 0 || signal !== null, `the process stopped (code ${code}, signal ${signal})`)
  t.match(stderr, 'Returning from a request handler without responding or attaching an abort handler is forbidden!')
})
