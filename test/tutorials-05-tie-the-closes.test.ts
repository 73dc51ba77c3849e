// Step 5's README: the client leaving closes the backend connection; a failing backend gives 502 or a broken C1.
import t from 'tap'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { startStep } from './helpers/tutorial-step.ts'
import { within } from './helpers/wait.ts'
import { open, send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

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

// A backend that cannot accept yet: a stopped process whose accept queue is full, so the proxy's
// connection attempt waits (its SYN is dropped and sent again about a second later).
const STALLED_ORIGIN = `
const server = require('node:net').createServer((s) => {
  const peer = s.remotePort
  console.log('open ' + peer)
  s.on('data', (d) => console.log('data ' + peer + ' ' + d.length))
  s.on('close', () => console.log('close ' + peer))
  s.on('error', () => {})
})
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => console.log('listening ' + server.address().port))`

t.test('a client that leaves before undici starts C2 still has its C2 aborted', async (t) => {
  const { spawn } = await import('node:child_process')
  const { connect } = await import('node:net')
  const origin = spawn(process.execPath, ['-e', STALLED_ORIGIN], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(origin, 'exit')
  t.teardown(async () => { origin.kill('SIGKILL'); await exited })
  const lines: string[] = []
  let onLine = () => {}
  origin.stdout.setEncoding('utf8').on('data', (s: string) => { lines.push(...s.split('\n').filter(Boolean)); onLine() })
  const waitFor = (re: RegExp, what: string) => within(new Promise<string>((resolve) => {
    const check = () => { const l = lines.find((l) => re.test(l)); if (l) resolve(l) }
    onLine = check
    check()
  }), 10_000, what)
  const port = Number((await waitFor(/^listening \d+$/, 'the origin to listen')).split(' ')[1])
  origin.kill('SIGSTOP') // it accepts nothing from now on
  // backlog 1: the kernel completes two handshakes for the stopped origin, then drops further SYNs
  const fillers = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')]
  t.teardown(() => fillers.forEach((s) => s.destroy()))
  await within(Promise.all(fillers.map((s) => once(s, 'connect'))), 10_000, 'two connections to fill the accept queue')
  const fillerPorts = fillers.map((s) => String(s.localPort))

  const proxy = await startStep(t, '05-tie-the-closes', ['--listen', '127.0.0.1:0', '--backend', `http://127.0.0.1:${port}`])
  const client = connect(Number(new URL(proxy.url).port), '127.0.0.1')
  client.on('error', () => {})
  client.write('GET /left-early HTTP/1.1\r\nHost: proxy\r\n\r\n')
  await proxy.waitForLine(/^C1: GET \/left-early /)
  client.destroy() // C1 is gone while C2 still waits for its backend connection
  origin.kill('SIGCONT') // the queue drains; the proxy's SYN is sent again and gets through

  const opened = await waitFor(new RegExp(`^open (?!(${fillerPorts.join('|')})$)\\d+$`), "the proxy's backend connection")
  const peer = opened.split(' ')[1]
  const first = await waitFor(new RegExp(`^(data|close) ${peer}( |$)`), 'the request or the close on that connection')
  t.equal(first, `close ${peer}`, 'no request reached the backend: C2 was aborted before sending')
  t.equal(proxy.child.exitCode, null, 'the proxy keeps serving')
})
