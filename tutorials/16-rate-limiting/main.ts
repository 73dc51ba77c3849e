// Step 15 — rate limiting: each client address gets --limit requests per --window; over it, 429, and the backend never sees the request.
// Run: npx tsx tutorials/16-rate-limiting/main.ts [--listen HOST:PORT] [--backend URL] [--limit N] [--window SECONDS]
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081' },
    limit: { type: 'string', default: '5' }, // requests per client per window
    window: { type: 'string', default: '60' }, // seconds
  },
})
const [, listenHost, port] = /^\[?(.*?)\]?:(\d+)$/.exec(values.listen) ?? [] // HOST:PORT or [::1]:PORT
const host = listenHost || '127.0.0.1' // ':8080' means loopback
const backend = new URL(values.backend)
const limit = Number(values.limit)
const windowMs = Number(values.window) * 1000
const agent = new Agent()

/** One client's window: how many requests it sent in it, and when it starts over. */
interface Window { count: number, resetAt: number }
const windows = new Map<string, Window>() // by client address

// Forget the windows that are over, so that memory stays bounded by the clients of one window.
setInterval(() => {
  const now = Date.now()
  for (const [client, w] of windows) if (w.resetAt <= now) windows.delete(client)
}, windowMs).unref()

/** Counts one request of `client`: where it stands after it, and whether it is over the limit. */
function count(client: string): { over: boolean, remaining: number, resetSeconds: number } {
  const now = Date.now()
  let w = windows.get(client)
  if (!w || w.resetAt <= now) windows.set(client, w = { count: 0, resetAt: now + windowMs }) // a fixed window starts
  w.count++
  return { over: w.count > limit, remaining: Math.max(0, limit - w.count), resetSeconds: Math.ceil((w.resetAt - now) / 1000) }
}

type Headers = Record<string, string | string[] | undefined> // lowercase names, as undici gives them
type Verdict = ReturnType<typeof count>

/** C1: the uWS response plus the request copied out of uWS, and the controller of its C2. */
interface C1 {
  res: uWS.HttpResponse, method: string, url: string, headers: Headers, aborted: boolean
  c2?: Dispatcher.DispatchController
}

/** Copies everything we need from `req`: it is stack-allocated and dies when the handler returns. */
function copyC1(res: uWS.HttpResponse, req: uWS.HttpRequest): C1 {
  const query = req.getQuery()
  const headers: Headers = {}
  req.forEach((name, value) => { headers[name] = value })
  return { res, method: req.getMethod().toUpperCase(), url: req.getUrl() + (query ? `?${query}` : ''), headers, aborted: false }
}

/** Every answer says where the client stands: the IETF draft's RateLimit fields, as Caddy and Envoy send them. */
function writeRateLimit(c1: C1, verdict: Verdict): void {
  c1.res.writeHeader('ratelimit-limit', String(limit))
  c1.res.writeHeader('ratelimit-remaining', String(verdict.remaining))
  c1.res.writeHeader('ratelimit-reset', String(verdict.resetSeconds))
}

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Opens C2 as in step 5 (no request body); the backend's head goes out with the rate-limit fields. */
function openC2(c1: C1, verdict: Verdict): void {
  const c2: Dispatcher.DispatchHandler = {
    onRequestStart(controller) {
      c1.c2 = controller
      if (c1.aborted) controller.abort(new Error('client went away'))
    },
    onResponseStart(_, status, headers) {
      if (c1.aborted) return
      c1.res.cork(() => {
        c1.res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`.trim())
        for (const [name, value] of Object.entries(headers as Headers)) {
          if (!UWS_WRITES.has(name)) for (const v of [value ?? []].flat()) c1.res.writeHeader(name, v)
        }
        writeRateLimit(c1, verdict)
        if (c1.method === 'HEAD' || status === 204 || status === 304) c1.res.endWithoutBody()
      })
    },
    onResponseData(_, chunk) { if (!c1.aborted) c1.res.cork(() => c1.res.write(chunk)) },
    onResponseEnd() { if (!c1.aborted) c1.res.cork(() => c1.res.end()) },
    onResponseError(_, err) {
      if (c1.aborted) return
      c1.res.cork(() => c1.res.writeStatus('502 Bad Gateway').end(`502 Bad Gateway: ${(err as { code?: string }).code ?? err.message}\n`))
    },
  }
  const headers = { ...c1.headers, host: backend.host }
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name]
  agent.dispatch({ origin: backend.origin, path: c1.url, method: c1.method, headers }, c2)
}

uWS.App()
  .any('/*', (res, req) => {
    const c1 = copyC1(res, req)
    // The socket's address: X-Forwarded-For is whatever the client wrote, unless a proxy we trust set it (step 9).
    const client = Buffer.from(res.getRemoteAddressAsText()).toString()
    const verdict = count(client)
    if (verdict.over) {
      console.log(`limit: ${client} is over ${limit} per ${windowMs / 1000} s: 429 for ${c1.method} ${c1.url}`)
      return res.cork(() => {
        res.writeStatus('429 Too Many Requests')
        res.writeHeader('retry-after', String(verdict.resetSeconds)) // RFC 6585 §4: when to try again
        writeRateLimit(c1, verdict)
        res.end('429 Too Many Requests\n')
      })
    }
    res.onAborted(() => {
      c1.aborted = true
      c1.c2?.abort(new Error('client went away'))
    })
    openC2(c1, verdict)
  })
  .listen(host, Number(port), (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    console.log(`rate limit ${limit} per ${windowMs / 1000} s per client`)
    console.log(`proxy to ${backend.origin} listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
