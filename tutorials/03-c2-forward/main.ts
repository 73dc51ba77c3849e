// Step 3 — C2: for each request, open a backend exchange whose context points back to its C1.
// Run: npx tsx tutorials/03-c2-forward/main.ts [--listen HOST:PORT] [--backend URL]
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081' },
  },
})
const [host, port] = splitHostPort(values.listen)
const backend = new URL(values.backend)
const agent = new Agent() // keeps connections to the backend open between exchanges

type Headers = Record<string, string | string[] | undefined> // lowercase names, as undici gives them

/** C1: the uWS response plus the request copied out of uWS. */
interface C1 { res: uWS.HttpResponse, method: string, url: string, headers: Headers, aborted: boolean }

/** Copies everything we need from `req`: it is stack-allocated and dies when the handler returns. */
function copyC1(res: uWS.HttpResponse, req: uWS.HttpRequest): C1 {
  const query = req.getQuery() // undefined when the URL has no '?'
  const headers: Headers = {}
  req.forEach((name, value) => { headers[name] = value })
  const url = req.getUrl() + (query ? `?${query}` : '')
  return { res, method: req.getMethod().toUpperCase(), url, headers, aborted: false }
}

/** C1 → C2 headers: the backend's Host instead of ours, minus those undici refuses to send. */
function c2Headers(c1: C1): Headers {
  const headers: Headers = { ...c1.headers, host: backend.host } // URL.host omits a default port
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name]
  return headers
}

/** Opens C2. The handler object is C2; its `c1` field is the context that leads back to the client. */
function openC2(c1: C1): void {
  const c2 = {
    c1,
    status: 0,
    statusText: '',
    headers: {} as Headers,
    chunks: [] as Buffer[],
    onRequestStart() {}, // undici treats a handler as the v7 kind only when this method exists
    onResponseStart(_: Dispatcher.DispatchController, status: number, headers: Headers, statusText?: string) {
      Object.assign(c2, { status, headers, statusText: statusText ?? '' })
    },
    onResponseData(_: Dispatcher.DispatchController, chunk: Buffer) {
      c2.chunks.push(chunk) // step 4 writes each chunk to C1 as it comes instead
    },
    onResponseEnd() {
      if (c2.c1.aborted) return // the client left: its uWS response must not be touched
      c2.c1.res.cork(() => { // after an await or a callback, cork: one write, one syscall
        writeC1Head(c2.c1, c2.status, c2.statusText, c2.headers)
        c2.c1.res.end(Buffer.concat(c2.chunks)) // uWS adds Content-Length
      })
    },
    onResponseError(_: Dispatcher.DispatchController, err: Error) {
      console.error(`C2 failed: ${err.message}`)
      if (!c2.c1.aborted) c2.c1.res.close() // for now, drop the client; step 5 answers 502
    },
  }
  // No request body yet: step 7 streams it.
  agent.dispatch({ origin: backend.origin, path: c1.url, method: c1.method, headers: c2Headers(c1) }, c2)
}

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Writes the status line and the backend's headers to C1. */
function writeC1Head(c1: C1, status: number, statusText: string, headers: Headers): void {
  c1.res.writeStatus(`${status} ${statusText || STATUS_CODES[status] || ''}`.trim())
  for (const [name, value] of Object.entries(headers)) {
    if (UWS_WRITES.has(name)) continue
    for (const v of [value ?? []].flat()) c1.res.writeHeader(name, v) // one Set-Cookie line per cookie
  }
}

/** "HOST:PORT" → [host, port]; ":8080" means 127.0.0.1. */
function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(s.slice(i + 1))]
}

uWS.App()
  .any('/*', (res, req) => {
    const c1 = copyC1(res, req)
    res.onAborted(() => { c1.aborted = true }) // MUST be set before returning: we answer later
    console.log(`C1: ${c1.method} ${c1.url} → ${backend.origin}`)
    openC2(c1)
  })
  .listen(host, port, (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    console.log(`proxy to ${backend.origin} listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
