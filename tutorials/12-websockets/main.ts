// Step 12 — WebSockets: C2 opens a WebSocket to the backend first; only once it is accepted is C1 upgraded.
// Run: npx tsx tutorials/12-websockets/main.ts [--listen HOST:PORT] [--backend URL]
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import uWS from 'uWebSockets.js'
import WebSocket from 'ws'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    backend: { type: 'string', default: 'http://127.0.0.1:8084' },
  },
})
const [host, port] = splitHostPort(values.listen)
const backend = new URL(values.backend)
const HIGH_WATER = 1024 * 1024 // bytes waiting for the client above which C2 stops reading the backend

/** One proxied WebSocket: C2 is the ws client to the backend; C1 is the uWS WebSocket, once upgraded. */
interface Tunnel { c2: WebSocket, c1?: uWS.WebSocket<Tunnel>, c1Closed: boolean }

/** C1's upgrade request: open C2 first, and answer the client only when the backend has answered. */
function openC2(res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
  // req dies when this handler returns: copy what res.upgrade() will need later
  const path = req.getUrl() + (req.getQuery() ? `?${req.getQuery()}` : '')
  const key = req.getHeader('sec-websocket-key')
  const protocols = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim()).filter(Boolean)
  const target = `${backend.protocol === 'https:' ? 'wss' : 'ws'}://${backend.host}${path}`
  console.log(`C1: upgrade ${path} → ${target}`)
  const c2 = new WebSocket(target, protocols, { perMessageDeflate: false })
  let answered = false // the client got its answer (101 or an error): res must not be touched again
  res.onAborted(() => { // MUST be set before returning: we answer later
    answered = true
    c2.terminate()
  })
  c2.on('open', () => {
    if (answered) return c2.terminate()
    answered = true
    // From an async path, upgrade inside cork; the client gets the subprotocol the backend chose.
    res.cork(() => res.upgrade<Tunnel>({ c2, c1Closed: false }, key, c2.protocol, '', context))
  })
  c2.on('unexpected-response', (_, answer) => { // the backend said no (401, 404…): tell the client so
    let body = ''
    answer.on('data', (chunk: Buffer) => { body += chunk })
    answer.on('end', () => {
      if (!answered) res.cork(() => res.writeStatus(`${answer.statusCode} ${answer.statusMessage}`).end(body))
      answered = true
      c2.terminate()
    })
  })
  c2.on('error', (err: Error & { code?: string }) => {
    if (answered) return
    answered = true
    const reason = err.code ?? err.message
    console.error(`C2 failed: ${path}: ${reason}`)
    res.cork(() => res.writeStatus('502 Bad Gateway').end(`502 Bad Gateway: ${reason}\n`))
  })
}

/** C1 is open (uWS calls this inside res.upgrade): from now on, relay both ways. */
function tieC1ToC2(c1: uWS.WebSocket<Tunnel>): void {
  const tunnel = c1.getUserData()
  tunnel.c1 = c1
  const { c2 } = tunnel
  c2.on('message', (data: Buffer, isBinary: boolean) => {
    if (tunnel.c1Closed) return
    c1.send(data, isBinary) // the same type: text stays text, binary stays binary
    if (c1.getBufferedAmount() > HIGH_WATER) c2.pause() // a slow client pauses the backend
  })
  c2.on('ping', (data: Buffer) => { if (!tunnel.c1Closed) c1.ping(data) })
  c2.on('close', (code: number, reason: Buffer) => {
    if (tunnel.c1Closed) return
    tunnel.c1Closed = true // end() runs our close handler at once: do not relay this close back
    // 1005 and 1006 mean "no code" and "no close frame": they are never sent (RFC 6455 §7.4.1)
    if (code === 1006) c1.close()
    else if (code === 1005) c1.end()
    else c1.end(code, reason)
  })
}

uWS.App()
  .ws<Tunnel>('/*', {
    maxPayloadLength: 16 * 1024 * 1024, // the largest message relayed (uWS's default is 16 KiB)
    maxBackpressure: 0, // never drop a message for backpressure: we pause C2 instead
    upgrade: openC2,
    open: tieC1ToC2,
    message: (c1, message, isBinary) => {
      // the ArrayBuffer is neutered when this returns: copy it before ws queues it
      c1.getUserData().c2.send(Buffer.from(message.slice(0)), { binary: isBinary })
    },
    drain: (c1) => { if (c1.getBufferedAmount() < HIGH_WATER) c1.getUserData().c2.resume() },
    close: (c1, code, message) => {
      const tunnel = c1.getUserData()
      if (tunnel.c1Closed) return // the backend closed first: nothing to relay
      tunnel.c1Closed = true
      if (code === 1006) tunnel.c2.terminate() // dropped without a close frame: drop the backend too
      else if (code === 1005) tunnel.c2.close()
      else tunnel.c2.close(code, Buffer.from(message.slice(0))) // the client's code and reason
    },
  })
  .any('/*', (res) => {
    res.writeStatus(`426 ${STATUS_CODES[426]}`).end('this step proxies WebSockets only\n')
  })
  .listen(host, port, (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    console.log(`proxy to ${backend.origin} listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })

/** "HOST:PORT" → [host, port]; ":8080" means 127.0.0.1. */
function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(s.slice(i + 1))]
}
