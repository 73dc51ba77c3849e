// SIGTERM: stop accepting at once, let in-flight exchanges finish within --grace, cut the rest, exit 0.
import net from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

/** Resolves with the error code of a connection attempt, or 'connected'. */
function connectResult(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('connect', () => {
      socket.destroy()
      resolve('connected')
    })
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

t.test('an in-flight exchange finishes after SIGTERM while new connections are refused at once; then exit 0', async (t) => {
  let release = () => {}
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first half, ')
    release = () => res.end('second half')
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--grace', '10'])
  const port = Number(new URL(run.url).port)
  const res = await request(`${run.url}/slow`)
  t.equal(res.statusCode, 200, 'the slow exchange started before the signal')
  const body = res.body.text()
  const startedAt = performance.now()
  run.child.kill('SIGTERM')
  await waitFor(() => run.stderr().includes('uproxy: shutting down'), 'the shutdown line on stderr')
  t.equal(await connectResult(port), 'ECONNREFUSED', 'right after the signal: want a new connection refused')
  t.equal(run.child.exitCode, null, 'the process waits for the in-flight exchange')
  release()
  t.equal(await body, 'first half, second half', 'want the whole body of the in-flight exchange')
  t.equal(await run.exited, 0, 'want exit 0 once it finished')
  t.ok(performance.now() - startedAt < 5000, 'want the exit soon after the exchange, long before the 10 s grace')
})

t.test('an exchange longer than --grace 1 is cut, and the process exits 0 after about a second', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '1000' })
    res.write('only the start')
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--grace', '1'])
  const res = await request(`${run.url}/endless`)
  t.equal(res.statusCode, 200)
  const body = res.body.text().then((text) => `complete: ${text}`, (err: Error & { code?: string }) => `cut: ${err.code ?? err.message}`)
  const startedAt = performance.now()
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'want exit 0 after the grace period')
  const seconds = (performance.now() - startedAt) / 1000
  t.ok(seconds >= 0.9, `want the exchange given the whole 1 s grace, exited after ${seconds.toFixed(2)} s`)
  t.ok(seconds < 4, `want the exit about 1 s after the signal, got ${seconds.toFixed(2)} s`)
  t.match(await body, /^cut: /, 'want the client to see a broken body, never a complete one')
  await waitFor(() => origin.sockets.size === 0, 'the backend connection to close')
})

// Shutdown should close idle keep-alive connections at once, as nginx and Go's Server.Shutdown do. uWS 20.30 offers no per-connection hook
// (no app.filter) and startProxy's shutdown only calls app.close() after the drain, so an idle connection
// stays open, and is served, until the in-flight exchanges are done or the grace period ends.
t.test('an idle keep-alive connection is closed at once on SIGTERM, while an exchange is still in flight', {
  todo: 'uWS 20.30 cannot close only the idle connections; shutdown closes them after the drain (see the comment above)',
}, async (t) => {
  let release = () => {}
  const origin = await startOrigin(t, (req, res) => {
    if (req.url === '/quick') return void res.end('quick')
    res.write('slow...')
    release = () => res.end('done')
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--grace', '10'])
  const port = Number(new URL(run.url).port)
  const idle = await openRaw(t, port, 'GET /quick HTTP/1.1\r\nHost: x\r\n\r\n')
  await idle.waitForText(/quick$/, 5000)
  const slow = await request(`${run.url}/slow`)
  const body = slow.body.text().catch((err: Error & { code?: string }) => `broken: ${err.code ?? err.message}`)
  run.child.kill('SIGTERM')
  await waitFor(() => run.stderr().includes('uproxy: shutting down'), 'the shutdown line on stderr')
  const closedInTime = await idle.waitForClose(1000).then(() => true, () => false)
  t.ok(closedInTime, 'want the idle keep-alive connection closed within 1 s of the signal, while /slow is in flight')
  release()
  t.equal(await body, 'slow...done', 'the in-flight exchange still finishes')
  t.equal(await run.exited, 0, 'want exit 0')
})

t.test('SIGTERM under keep-alive load: every request sent is answered, with Connection: close once draining', async (t) => {
  const origin = await startOrigin(t, (_req, res) => res.end('pong'))
  const run = await startCliProxy(t, [origin.url, '--quiet', '--grace', '10'])
  const port = Number(new URL(run.url).port)
  const CLIENTS = 16
  let answered = 0
  let announcedClose = 0
  const lost: string[] = []
  let signalled = false
  // each client sends its next request the moment the last answer arrived, until told Connection: close
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Promise<void>((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let waiting = false
    const send = () => {
      waiting = true
      socket.write(`GET /c${i} HTTP/1.1\r\nHost: x\r\n\r\n`)
    }
    socket.on('connect', send)
    socket.setEncoding('latin1').on('data', (s: string) => {
      text += s
      const end = text.indexOf('pong')
      if (end < 0) return
      const head = text.slice(0, end)
      text = text.slice(end + 4)
      waiting = false
      answered++
      if (/\r\nconnection: close\r\n/i.test(head)) {
        announcedClose++
        socket.end()
      } else send()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (waiting) lost.push(`client ${i}: its connection closed with a request unanswered (${signalled ? 'after' : 'before'} SIGTERM)`)
      resolve()
    })
  }))
  await waitFor(() => answered >= CLIENTS * 20, 'some keep-alive traffic before the signal', 10_000)
  signalled = true
  run.child.kill('SIGTERM')
  await Promise.all(clients)
  t.same(lost, [], 'no request that reached the proxy went unanswered')
  t.equal(announcedClose, CLIENTS, 'every client was told Connection: close and stopped by itself')
  t.equal(await run.exited, 0, 'want exit 0')
})
