// Step 7's README: uploads stream through (with or without a length); a slow side pauses the other.
import t from 'tap'
import http from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { makeCerts } from './helpers/certs.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { within } from './helpers/wait.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

const MiB = 1024 * 1024

/**
 * Writes `total` bytes in 1 MiB pieces, honouring 'drain'. `held` resolves when a wait for 'drain'
 * lasts `quietMs` — the writer is held back — with the bytes written so far; it rejects if
 * everything got written first. A stall can only be seen as a quiet spell: the one place in these
 * tests where a time window stands in for an event.
 */
function pump(w: NodeJS.WritableStream, total: number, quietMs = 500) {
  let heldWith = (_sent: number) => {}
  let notHeld = (_err: Error) => {}
  const held = new Promise<number>((resolve, reject) => { heldWith = resolve; notHeld = reject })
  const finished = (async () => {
    let sent = 0
    while (sent < total) {
      const ok = w.write(Buffer.alloc(MiB, 7))
      sent += MiB
      if (ok) continue
      const timer = setTimeout(() => heldWith(sent), quietMs)
      await once(w as unknown as NodeJS.EventEmitter, 'drain')
      clearTimeout(timer)
    }
    w.end()
    notHeld(new Error(`all ${total} bytes were written: nothing held the writer back`))
  })()
  held.catch(() => {})
  return { held, finished }
}

t.test('the README run: uploads reach the step-1 origin whole', async (t) => {
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const body = randomBytes(5 * MiB)
  // First, as curl sends a big file: Expect: 100-continue, the body only after "100 Continue",
  // on a proxy that has no backend connection yet.
  const req = http.request(proxy.url + '/upload', { method: 'POST', agent: false,
    headers: { expect: '100-continue', 'content-length': body.length } })
  req.on('continue', () => req.end(body))
  const [res] = await within(once(req, 'response'), 10_000, 'the answer to an upload sent after 100 Continue') as
    [http.IncomingMessage]
  let text = ''
  for await (const c of res.setEncoding('utf8')) text += c as string
  t.equal(text, `received ${body.length} bytes\n`, 'after 100 Continue')
  const got = await send(proxy.url + '/upload', { method: 'POST', body })
  t.equal(got.status, 200)
  t.equal(got.body, `received ${body.length} bytes\n`, 'with Content-Length')
  const chunked = await send(proxy.url + '/upload', { method: 'POST', body, headers: { 'transfer-encoding': 'chunked' } })
  t.equal(chunked.body, `received ${body.length} bytes\n`, 'chunked, without a length')
})

t.test('bodies arrive byte for byte, framed as the client framed them', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const body = randomBytes(3 * MiB + 17)
  await send(proxy.url + '/a', { method: 'PUT', body })
  t.equal(origin.seen[0]!.headers['content-length'], String(body.length), 'the length went along')
  t.ok(origin.seen[0]!.body.equals(body), 'same bytes')
  await send(proxy.url + '/b', { method: 'POST', body, headers: { 'transfer-encoding': 'chunked' } })
  t.equal(origin.seen[1]!.headers['transfer-encoding'], 'chunked', 'no length: chunked to the backend too')
  t.ok(origin.seen[1]!.body.equals(body), 'same bytes')
  await send(proxy.url + '/c')
  t.equal(origin.seen[2]!.headers['content-length'], undefined, 'a GET without a body gets none')
})

t.test('a client that does not read holds the backend back', async (t) => {
  const total = 64 * MiB
  let backendWriter: ReturnType<typeof pump> | undefined
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    backendWriter = pump(res, total)
  })
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', origin.url])
  const req = http.get(proxy.url + '/big', { agent: false })
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  res.pause() // the client stops reading
  const sent = await within(backendWriter!.held, 30_000, 'the backend to be held back')
  t.ok(sent < total / 2, `the backend stalled after ${sent} of ${total} bytes`)
  let received = 0
  res.on('data', (c: Buffer) => { received += c.length })
  res.resume()
  await within(once(res, 'end'), 60_000, 'the whole body once the client reads')
  t.equal(received, total, 'every byte arrived once the client read')
  await backendWriter!.finished
})

t.test('a backend that does not read holds the client upload back', async (t) => {
  let release = () => {}
  const origin = http.createServer((req, res) => {
    req.pause() // the backend stops reading
    release = () => {
      let got = 0
      req.on('data', (c: Buffer) => { got += c.length })
      req.on('end', () => res.end(`received ${got} bytes\n`))
      req.resume()
    }
  })
  origin.listen(0, '127.0.0.1')
  await once(origin, 'listening')
  t.teardown(() => { origin.closeAllConnections(); origin.close() })
  const backend = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', backend])
  const total = 64 * MiB
  const req = http.request(proxy.url + '/upload', { method: 'POST', agent: false, headers: { 'content-length': total } })
  const answer = once(req, 'response') as Promise<[http.IncomingMessage]>
  const client = pump(req, total)
  const sent = await within(client.held, 30_000, 'the upload to be held back')
  t.ok(sent < total / 2, `the client upload stalled after ${sent} of ${total} bytes`)
  release()
  await within(client.finished, 60_000, 'the upload to finish once the backend reads')
  const [res] = await within(answer, 60_000, 'the answer')
  res.setEncoding('utf8')
  let text = ''
  for await (const c of res) text += c as string
  t.equal(text, `received ${total} bytes\n`)
})

t.test('a backend that refuses during an upload: 502, and the proxy keeps serving', async (t) => {
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', 'http://127.0.0.1:1'])
  const got = await send(proxy.url + '/upload', { method: 'POST', body: Buffer.alloc(10 * MiB) }).catch((e: Error) => e)
  if (got instanceof Error) t.match(got.message, /EPIPE|ECONNRESET|socket hang up/, 'the answer came before the upload ended')
  else t.equal(got.body, '502 Bad Gateway: ECONNREFUSED\n')
  t.equal((await send(proxy.url + '/')).status, 502, 'the proxy is still running')
  t.equal(proxy.child.exitCode, null)
})

t.test('no --ca: an https backend trusted through NODE_EXTRA_CA_CERTS takes an upload; HEAD keeps its length', async (t) => {
  const certs = makeCerts()
  t.teardown(certs.cleanup)
  const origin = await startOrigin(t, (req, res, seen) => {
    if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': '1234' }).end()
    res.end(`received ${seen.body.length} bytes\n`)
  }, { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })
  const proxy = await startStep(t, '07-request-bodies', ['--listen', '127.0.0.1:0', '--backend', origin.url],
    { NODE_EXTRA_CA_CERTS: certs.caFile })
  const got = await send(proxy.url + '/upload', { method: 'POST', body: Buffer.alloc(MiB, 1) })
  t.equal(got.body, `received ${MiB} bytes\n`, 'the upload reached the https origin')
  const head = await send(proxy.url + '/', { method: 'HEAD' })
  t.equal(head.headers['content-length'], '1234', 'a HEAD answer keeps the backend Content-Length')
  t.equal(head.body, '')
})
