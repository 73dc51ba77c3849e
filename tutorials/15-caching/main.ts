// Step 14 — caching: keep a response the origin lets a shared cache keep, and answer with it again without asking the origin.
// Run: npx tsx tutorials/15-caching/main.ts [--listen HOST:PORT] [--backend URL] [--max-entry BYTES]
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081' },
    'max-entry': { type: 'string', default: '1048576' }, // larger bodies stream through, not stored
  },
})
const [, listenHost, port] = /^\[?(.*?)\]?:(\d+)$/.exec(values.listen) ?? [] // HOST:PORT or [::1]:PORT
const host = listenHost || '127.0.0.1' // ':8080' means loopback
const backend = new URL(values.backend)
const maxEntry = Number(values['max-entry'])
const agent = new Agent() // one keep-alive pool to the backend

type Headers = Record<string, string | string[] | undefined> // lowercase names, as undici gives them

/** A stored response: everything needed to answer again, and until when it is fresh. */
interface Entry { status: number, headers: Headers, body: Buffer, storedAt: number, freshUntil: number }
const cache = new Map<string, Entry>() // key: Host and path with query (RFC 9111 §2: the request's URI)

/**
 * How long a shared cache may keep this response (RFC 9111 §5.2.2), in seconds, or 0: never.
 * This step reads only s-maxage and max-age; uproxy leaves the whole of RFC 9111 to a library.
 */
function freshSeconds(status: number, headers: Headers): number {
  const cc = String(headers['cache-control'] ?? '').toLowerCase()
  if (status !== 200 || /no-store|private|no-cache/.test(cc)) return 0
  if (headers['set-cookie'] || headers.vary) return 0 // one user's cookie, or variants: this step stores neither
  const age = /s-maxage=(\d+)/.exec(cc) ?? /max-age=(\d+)/.exec(cc)
  return age ? Number(age[1]) : 0
}

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

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Writes the status line and `headers` to C1, then X-Cache (and Age) saying where the answer came from. */
function writeC1Head(c1: C1, status: number, headers: Headers, xCache: string, age?: number): void {
  c1.res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`.trim())
  for (const [name, value] of Object.entries(headers)) {
    if (UWS_WRITES.has(name)) continue
    for (const v of [value ?? []].flat()) c1.res.writeHeader(name, v)
  }
  if (age !== undefined) c1.res.writeHeader('age', String(age)) // RFC 9111 §5.1: how long it has been stored
  c1.res.writeHeader('x-cache', xCache)
}

/** Answers from the cache: no backend is asked. */
function writeHit(c1: C1, entry: Entry): void {
  const age = Math.floor((Date.now() - entry.storedAt) / 1000)
  console.log(`cache: HIT ${c1.url} (age ${age} s)`)
  c1.res.cork(() => {
    writeC1Head(c1, entry.status, entry.headers, 'HIT', age)
    c1.res.end(entry.body)
  })
}

/** Opens C2; a response the cache may keep is copied as it streams to the client, and stored at its end. */
function openC2(c1: C1, key: string | undefined): void {
  let copy: { chunks: Buffer[], bytes: number, status: number, headers: Headers, seconds: number } | undefined
  const c2: Dispatcher.DispatchHandler = {
    onRequestStart(controller) {
      c1.c2 = controller
      if (c1.aborted) controller.abort(new Error('client went away'))
    },
    onResponseStart(_, status, headers) {
      const seconds = key ? freshSeconds(status, headers as Headers) : 0
      if (seconds > 0) copy = { chunks: [], bytes: 0, status, headers: headers as Headers, seconds }
      if (c1.aborted) return
      const noBody = c1.method === 'HEAD' || status === 204 || status === 304
      c1.res.cork(() => {
        writeC1Head(c1, status, headers as Headers, key ? 'MISS' : 'BYPASS')
        if (noBody) c1.res.endWithoutBody()
      })
    },
    onResponseData(_, chunk) {
      // The client gets each chunk now: a miss is never held back until the whole body is stored.
      if (!c1.aborted) c1.res.cork(() => c1.res.write(chunk))
      if (copy && (copy.bytes += chunk.length) > maxEntry) copy = undefined // too big: stream it, keep none
      copy?.chunks.push(Buffer.from(chunk))
    },
    onResponseEnd() {
      if (!c1.aborted) c1.res.cork(() => c1.res.end())
      if (!copy || !key) return
      const now = Date.now()
      cache.set(key, { status: copy.status, headers: copy.headers, body: Buffer.concat(copy.chunks), storedAt: now, freshUntil: now + copy.seconds * 1000 })
      console.log(`cache: stored ${c1.url} for ${copy.seconds} s`)
    },
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
    res.onAborted(() => {
      c1.aborted = true
      c1.c2?.abort(new Error('client went away'))
    })
    // Only GET is looked up and stored; a request with credentials is one user's, never shared (RFC 9111 §3.5).
    const key = c1.method === 'GET' && !c1.headers.authorization ? `${c1.headers.host} ${c1.url}` : undefined
    const entry = key === undefined ? undefined : cache.get(key)
    if (entry && Date.now() < entry.freshUntil) return writeHit(c1, entry)
    if (entry) cache.delete(key!) // stale: ask again (uproxy revalidates it with If-None-Match instead)
    openC2(c1, key) // no request body, as in step 5
  })
  .listen(host, Number(port), (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    console.log(`caching proxy to ${backend.origin} listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
