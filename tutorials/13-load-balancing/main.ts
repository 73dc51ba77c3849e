// Step 13 — load balancing: round-robin over several backends; one that fails is taken out for a while (passive health).
// Run: npx tsx tutorials/13-load-balancing/main.ts [--listen HOST:PORT] [--backend URL,URL…] [--max-fails N] [--fail-timeout S]
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081,http://127.0.0.1:8085' },
    'max-fails': { type: 'string', default: '1' }, // failures in a row that take a backend out (nginx max_fails)
    'fail-timeout': { type: 'string', default: '10' }, // seconds it stays out (nginx fail_timeout)
  },
})
const [, listenHost, port] = /^\[?(.*?)\]?:(\d+)$/.exec(values.listen) ?? [] // HOST:PORT or [::1]:PORT
const host = listenHost || '127.0.0.1' // ':8080' means loopback
const maxFails = Number(values['max-fails'])
const failTimeoutMs = Number(values['fail-timeout']) * 1000
const agent = new Agent() // one keep-alive pool per backend origin

/** A backend and its passive health: how often it failed in a row, and until when it is out. */
interface Backend { url: URL, fails: number, downUntil: number }
const backends: Backend[] = values.backend.split(',').map((url) => ({ url: new URL(url), fails: 0, downUntil: 0 }))
let next = 0 // round-robin: the index the next pick starts from

/** Round-robin over the backends that are up and not yet tried; all down: the one out the longest. */
function pickBackend(tried: Backend[]): Backend | undefined {
  const now = Date.now()
  for (let i = 0; i < backends.length; i++) {
    const b = backends[(next + i) % backends.length]!
    if (b.downUntil > now || tried.includes(b)) continue
    next = (next + i + 1) % backends.length
    return b
  }
  // Every backend is out: try anyway rather than answer 502 blind, the soonest back first.
  return backends.filter((b) => !tried.includes(b)).sort((a, b) => a.downUntil - b.downUntil)[0]
}

/** Passive health: the failures are the exchanges themselves, no probe is sent. */
function markFailed(b: Backend): void {
  if (++b.fails < maxFails) return
  b.fails = 0
  b.downUntil = Date.now() + failTimeoutMs
  console.error(`backend ${b.url.origin} is down for ${failTimeoutMs / 1000} s`)
}

type Headers = Record<string, string | string[] | undefined> // lowercase names, as undici gives them

/** C1: the uWS response plus the request copied out of uWS, and the controller of its C2. */
interface C1 {
  res: uWS.HttpResponse, method: string, url: string, headers: Headers, aborted: boolean
  c2?: Dispatcher.DispatchController // set once undici starts C2: C1's abort handler uses it
}

/** Copies everything we need from `req`: it is stack-allocated and dies when the handler returns. */
function copyC1(res: uWS.HttpResponse, req: uWS.HttpRequest): C1 {
  const query = req.getQuery() // undefined when the URL has no '?'
  const headers: Headers = {}
  req.forEach((name, value) => { headers[name] = value })
  const url = req.getUrl() + (query ? `?${query}` : '')
  return { res, method: req.getMethod().toUpperCase(), url, headers, aborted: false }
}

/** C1 → C2 headers: the chosen backend's Host instead of ours, minus those undici refuses to send. */
function c2Headers(c1: C1, backend: URL): Headers {
  const headers: Headers = { ...c1.headers, host: backend.host }
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name]
  return headers
}

/** Opens C2 to `backend`; `tried` holds the backends that already failed this exchange. */
function openC2(c1: C1, backend: Backend, tried: Backend[]): void {
  console.log(`C1: ${c1.method} ${c1.url} → ${backend.url.origin}${tried.length ? ' (retry)' : ''}`)
  let headWritten = false
  const c2: Dispatcher.DispatchHandler = {
    onRequestStart(controller) {
      c1.c2 = controller
      if (c1.aborted) controller.abort(new Error('client went away'))
    },
    onResponseStart(_, status, headers, statusText) {
      backend.fails = 0 // it answered: the failures in a row start again from zero
      if (c1.aborted) return
      headWritten = true
      const noBody = c1.method === 'HEAD' || status === 204 || status === 304
      c1.res.cork(() => {
        writeC1Head(c1, status, statusText ?? '', headers as Headers)
        if (noBody) c1.res.endWithoutBody() // the head alone, and nothing more will come
      })
    },
    onResponseData(_, chunk) { if (!c1.aborted) c1.res.cork(() => c1.res.write(chunk)) },
    onResponseEnd() { if (!c1.aborted) c1.res.cork(() => c1.res.end()) },
    onResponseError(_, err) {
      if (c1.aborted) return // we aborted C2 ourselves: the client is gone
      const reason = (err as { code?: string }).code ?? err.message
      console.error(`C2 failed: ${c1.method} ${c1.url} on ${backend.url.origin}: ${reason}`)
      markFailed(backend)
      if (headWritten) return void c1.res.close() // bytes went to the client: never send it twice
      // Nothing reached the client yet: GET and HEAD may be sent again, to another backend (RFC 9110 §9.2.2).
      const other = (c1.method === 'GET' || c1.method === 'HEAD') && pickBackend([...tried, backend])
      if (other) return openC2(c1, other, [...tried, backend])
      c1.res.cork(() => c1.res.writeStatus('502 Bad Gateway').end(`502 Bad Gateway: ${reason}\n`))
    },
  }
  // No request body, as in step 5: step 7 streams it.
  agent.dispatch({ origin: backend.url.origin, path: c1.url, method: c1.method, headers: c2Headers(c1, backend.url) }, c2)
}

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Writes the status line and the backend's headers to C1. */
function writeC1Head(c1: C1, status: number, statusText: string, headers: Headers): void {
  c1.res.writeStatus(`${status} ${statusText || STATUS_CODES[status] || ''}`.trim())
  for (const [name, value] of Object.entries(headers)) {
    if (UWS_WRITES.has(name)) continue
    for (const v of [value ?? []].flat()) c1.res.writeHeader(name, v)
  }
}

uWS.App()
  .any('/*', (res, req) => {
    const c1 = copyC1(res, req)
    res.onAborted(() => { // MUST be set before returning: we answer later
      c1.aborted = true
      c1.c2?.abort(new Error('client went away'))
    })
    openC2(c1, pickBackend([])!, [])
  })
  .listen(host, Number(port), (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    console.log(`backends: ${backends.map((b) => b.url.origin).join(', ')}`)
    console.log(`proxy to ${backends.length} backends listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
