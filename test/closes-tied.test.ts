// Closes are tied: a client that leaves closes the backend connection, a backend that breaks breaks the client's response.
import type { IncomingMessage, ServerResponse } from 'node:http'
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

/** When the origin's connection for the last request closed (performance.now()), or undefined while open. */
function watchBackendClose(req: IncomingMessage, state: { closedAt?: number }): void {
  state.closedAt = undefined
  req.socket.once('close', () => (state.closedAt = performance.now()))
}

/** Writes a line every 50 ms until the connection closes: a backend that is slow to finish. */
function trickle(res: ServerResponse): void {
  const timer = setInterval(() => res.write('tick\n'), 50)
  res.on('close', () => clearInterval(timer))
}

for (const when of ['mid-body (chunked)', 'mid-body (Content-Length)', 'before response headers'] as const) {
  t.test(`client aborts ${when}: the backend sees its connection close within 1 s`, async (t) => {
    const backend: { closedAt?: number } = {}
    let requestArrived = false
    const origin = await startOrigin(t, (req, res) => {
      requestArrived = true
      watchBackendClose(req, backend)
      if (req.url === '/ok') return void res.end('ok')
      if (when === 'before response headers') return // never answers
      res.writeHead(200, when === 'mid-body (chunked)' ? {} : { 'content-length': String(1024 * 1024) })
      res.write('tick\n')
      trickle(res)
    }, { streaming: true })
    const proxy = await startTestProxy(t, { backend: origin.url })
    const client = await openRaw(t, proxy.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
    if (when === 'before response headers') await waitFor(() => requestArrived, 'the request to reach the backend', 3000)
    else await client.waitForText(/\r\n\r\n[\s\S]*tick/)
    t.equal(backend.closedAt, undefined, 'the backend connection is open while the client is there')
    const abortedAt = performance.now()
    client.socket.destroy()
    await waitFor(() => backend.closedAt !== undefined, 'the backend connection to close after the client left', 1000)
    t.ok(backend.closedAt! - abortedAt < 1000, `backend closed ${(backend.closedAt! - abortedAt).toFixed(0)} ms after the client left, want < 1000`)
    const after = await request(`${proxy.url}/ok`)
    t.equal(after.statusCode, 200, 'the proxy keeps serving')
    t.equal(await after.body.text(), 'ok')
  })
}

const BODY_LENGTH = 100_000
const FIRST_PART = 'x'.repeat(1000)

for (const framing of ['chunked', 'content-length'] as const) {
  for (const cut of ['destroy', 'end'] as const) {
    t.test(`backend ${cut === 'destroy' ? 'destroys' : 'ends'} its socket mid-body (${framing}): the client sees a broken response`, async (t) => {
      let clientHasHead = () => {}
      const origin = await startOrigin(t, (req, res) => {
        if (req.url === '/ok') return void res.end('ok')
        res.writeHead(200, framing === 'content-length' ? { 'content-length': String(BODY_LENGTH) } : {})
        res.write(FIRST_PART)
        // cut only once the client has the head, so the break is mid-body, after the status line went out
        let timer: NodeJS.Timeout | undefined
        const breakIt = () => {
          clearTimeout(timer)
          if (cut === 'destroy') req.socket.destroy()
          else req.socket.end()
        }
        clientHasHead = breakIt
        timer = setTimeout(breakIt, 3000)
      }, { streaming: true })
      const proxy = await startTestProxy(t, { backend: origin.url })

      const raw = await openRaw(t, proxy.port, 'GET /cut HTTP/1.1\r\nHost: x\r\n\r\n')
      await raw.waitForText(/\r\n\r\n[\s\S]*x/)
      clientHasHead()
      await raw.waitForClose(3000).catch(() => {})
      t.ok(raw.closed(), 'the proxy closed the client connection')
      const text = raw.received().toString('latin1')
      const headEnd = text.indexOf('\r\n\r\n')
      const head = text.slice(0, headEnd)
      const body = text.slice(headEnd + 4)
      t.match(head, /^HTTP\/1\.1 200 OK/)
      if (framing === 'content-length') {
        t.match(head, new RegExp(`\r\ncontent-length: ${BODY_LENGTH}(\r\n|$)`, 'i'), 'the backend length was announced')
        t.ok(body.length < BODY_LENGTH, `closed with ${body.length} body bytes, fewer than the ${BODY_LENGTH} announced`)
      } else {
        t.match(head, /\r\ntransfer-encoding: chunked(\r\n|$)/i)
        t.notMatch(body, /(^|\r\n)0\r\n\r\n$/, 'no terminating 0-chunk: the body does not look complete')
      }

      const viaUndici = await request(`${proxy.url}/cut`)
      t.equal(viaUndici.statusCode, 200)
      // the origin's handler set a new breakIt for this request; run it once the head is here
      clientHasHead()
      await t.rejects(viaUndici.body.text(), 'undici reports the truncated body as an error')

      const after = await request(`${proxy.url}/ok`)
      t.equal(after.statusCode, 200, 'the proxy keeps serving')
      t.equal(await after.body.text(), 'ok')
    })
  }
}
