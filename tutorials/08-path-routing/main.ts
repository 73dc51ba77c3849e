// Step 8 — path routing: the longest matching prefix picks the backend; --rewrite strips the prefix.
// Run: npx tsx tutorials/08-path-routing/main.ts [--listen HOST:PORT] [--backend URL]
//        [--route PREFIX=URL ...] [--rewrite]
import { STATUS_CODES } from 'node:http'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({ options: {
  listen: { type: 'string', default: '127.0.0.1:8080' },
  backend: { type: 'string', default: 'http://127.0.0.1:8081' }, // https:// as in step 6, CAs from NODE_EXTRA_CA_CERTS
  route: { type: 'string', multiple: true, default: [] },
  rewrite: { type: 'boolean', default: false },
} })
const [host, port] = splitHostPort(values.listen)
const backend = new URL(values.backend)
const routes = parseRoutes(values.route)
const agent = new Agent() // keeps connections to the backend open between exchanges

type Headers = Record<string, string | string[] | undefined> // lowercase names, as undici gives them

/** C1: the uWS response plus the request copied out of uWS, and the controller of its C2. */
interface C1 {
  res: uWS.HttpResponse, method: string, url: string, headers: Headers
  done: boolean // the client left or we answered: uWS forbids touching c1.res after either
  c2?: Dispatcher.DispatchController // set once undici starts C2: C1's abort handler uses it
}

/** Copies everything we need from `req`: it is stack-allocated and dies when the handler returns. */
function copyC1(res: uWS.HttpResponse, req: uWS.HttpRequest): C1 {
  const query = req.getQuery() // undefined when the URL has no '?'
  const headers: Headers = {}
  req.forEach((name, value) => { headers[name] = value })
  const url = req.getUrl() + (query ? `?${query}` : '')
  return { res, method: req.getMethod().toUpperCase(), url, headers, done: false }
}

/** "PREFIX=URL" flags → routes, longest prefix first so that the first match is the longest. */
function parseRoutes(flags: string[]): { prefix: string, backend: URL }[] {
  return flags.map((flag) => {
    const i = flag.indexOf('=')
    if (i < 1 || !flag.startsWith('/')) { console.error(`--route ${flag}: want /PREFIX=URL`); process.exit(2) }
    return { prefix: flag.slice(0, i).replace(/(.)\/+$/, '$1'), backend: new URL(flag.slice(i + 1)) }
  }).sort((a, b) => b.prefix.length - a.prefix.length)
}

/** Picks the backend and the path to send it: `/api` matches `/api`, `/api/x`, `/api?q`, never `/apis`. */
function routeC1(url: string): { backend: URL, path: string } {
  const path = url.split('?')[0]!, query = url.slice(path.length)
  for (const { prefix: p, backend: to } of routes) {
    if (p !== '/' && path !== p && !path.startsWith(p + '/')) continue // match whole segments only
    const rest = values.rewrite && p !== '/' ? path.slice(p.length) || '/' : path // keep a leading '/'
    return { backend: to, path: rest + query }
  }
  return { backend, path: url } // the default backend: never rewritten
}

/** C1 → C2 headers: the backend's Host instead of ours, minus those undici refuses to send. */
function c2Headers(c1: C1, backend: URL): Headers {
  const headers: Headers = { ...c1.headers, host: backend.host } // URL.host omits a default port
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name]
  return headers
}

/** Streams the client's body to C2 as it arrives; null when the request has none. */
function c1Body(c1: C1): Readable | null {
  if (!c1.headers['content-length'] && !c1.headers['transfer-encoding']) return null
  let paused = false
  const body = new Readable({
    read() { // undici wants more: let uWS read from the client again
      if (paused && !c1.done) c1.res.resume() // only after a pause: a stray resume() stalls uWS 20.30
      paused = false
    },
  })
  c1.res.onData((chunk, isLast) => {
    // uWS neuters `chunk` when this callback returns: copy it before handing it on.
    const more = body.push(Buffer.from(chunk.slice(0)))
    if (!more && !isLast && !c1.done) { paused = true; c1.res.pause() } // C2 is behind: stop reading C1
    if (isLast) body.push(null)
  })
  return body
}

/** Opens C2 to `backend`. The handler object is C2; its `c1` field is the context leading back to the client. */
function openC2(c1: C1, backend: URL, path: string): void {
  const c2 = {
    c1, noBody: false, headWritten: false,
    onRequestStart(controller: Dispatcher.DispatchController) {
      c2.c1.c2 = controller
      if (c2.c1.done) controller.abort(new Error('client went away')) // it left while C2 waited to connect
    },
    onResponseStart(_: Dispatcher.DispatchController, status: number, headers: Headers, statusText?: string) {
      if (c2.c1.done) return // the client left: its uWS response must not be touched
      // Outside the uWS handler, cork: the whole head in one write, one syscall.
      c2.c1.res.cork(() => writeC1Head(c2.c1, status, statusText ?? '', headers))
      c2.headWritten = true
      c2.noBody = c2.c1.method === 'HEAD' || status === 204 || status === 304 // never a body (RFC 9110 §6.4.1)
    },
    onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer) {
      if (c2.c1.done) return
      let sent = true
      c2.c1.res.cork(() => { sent = c2.c1.res.write(chunk) }) // uWS sends it at once, chunked
      if (sent) return
      // The client is slower than the backend: uWS holds this chunk; read no more until it drains.
      controller.pause()
      c2.c1.res.onWritable(() => { controller.resume(); return true })
    },
    onResponseEnd() {
      if (c2.c1.done) return
      // endWithoutBody() sends the head alone; end() would add "Content-Length: 0" or a final chunk.
      c2.c1.res.cork(() => c2.noBody ? c2.c1.res.endWithoutBody() : c2.c1.res.end())
      c2.c1.done = true // uWS may still deliver upload chunks: onData must not touch c1.res now
    },
    onResponseError(_: Dispatcher.DispatchController, err: Error) {
      if (c2.c1.done) return // we aborted C2 ourselves: the client is gone
      const reason = (err as { code?: string }).code ?? err.message // branch on codes, not on text
      console.error(`C2 failed: ${c2.c1.method} ${c2.c1.url}: ${reason}`)
      c2.c1.done = true
      if (c2.headWritten) return void c2.c1.res.close() // a broken response must not look complete
      c2.c1.res.cork(() => c2.c1.res.writeStatus('502 Bad Gateway').end(`502 Bad Gateway: ${reason}\n`))
    },
  }
  const body = c1Body(c1) // a Content-Length header goes along; without one undici sends chunked
  agent.dispatch({ origin: backend.origin, path, method: c1.method, headers: c2Headers(c1, backend), body }, c2)
}

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** Writes the status line and the backend's headers to C1. */
function writeC1Head(c1: C1, status: number, statusText: string, headers: Headers): void {
  c1.res.writeStatus(`${status} ${statusText || STATUS_CODES[status] || ''}`.trim())
  for (const [name, value] of Object.entries(headers)) {
    // A HEAD answer has no body, but its Content-Length describes the GET answer: keep it.
    if (UWS_WRITES.has(name) && !(name === 'content-length' && c1.method === 'HEAD')) continue
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
    res.onAborted(() => { // MUST be set before returning: we answer later
      c1.done = true
      c1.c2?.abort(new Error('client went away')) // undici destroys the backend connection
    })
    const { backend, path } = routeC1(c1.url)
    console.log(`C1: ${c1.method} ${c1.url} → ${backend.origin}${path}`)
    openC2(c1, backend, path)
  })
  .listen(host, port, (socket) => {
    if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
    for (const r of routes) console.log(`route ${r.prefix} → ${r.backend.href}${values.rewrite ? ' (prefix stripped)' : ''}`)
    console.log(`proxy to ${backend.origin} listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
