// Step 11 — TLS termination: clients speak HTTPS to C1 (uWS SSLApp), one certificate per server name (SNI).
// Run: npx tsx tutorials/11-tls-termination/main.ts [--listen HOST:PORT] [--backend URL]
//        [--cert FILE] [--key FILE] [--sni HOST=CERT,KEY ...]
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { parseArgs } from 'node:util'
import { Agent, type Dispatcher } from 'undici'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8443' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081' },
    cert: { type: 'string', default: 'certs/cert.pem' }, // the default certificate (PEM), for any other name
    key: { type: 'string', default: 'certs/key.pem' },
    sni: { type: 'string', multiple: true, default: [] }, // HOST=CERT,KEY: a certificate for one server name
  },
})
const [host, port] = splitHostPort(values.listen)
const backend = new URL(values.backend)
const agent = new Agent() // keeps connections to the backend open between exchanges

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

/** C1 → C2 headers: the backend's Host instead of ours, minus those undici refuses to send. */
function c2Headers(c1: C1): Headers {
  // The backend cannot see that the client used TLS: say so (X-Forwarded-Proto, as nginx and Caddy do).
  const headers: Headers = { ...c1.headers, host: backend.host, 'x-forwarded-proto': 'https' }
  for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']) delete headers[name]
  return headers
}

/** Opens C2. The handler object is C2; its `c1` field is the context that leads back to the client. */
function openC2(c1: C1): void {
  const c2 = {
    c1,
    noBody: false,
    headWritten: false,
    onRequestStart(controller: Dispatcher.DispatchController) {
      c2.c1.c2 = controller
      // The client may have left while C2 waited for a backend connection.
      if (c2.c1.aborted) controller.abort(new Error('client went away'))
    },
    onResponseStart(_: Dispatcher.DispatchController, status: number, headers: Headers, statusText?: string) {
      if (c2.c1.aborted) return // the client left: its uWS response must not be touched
      // HEAD has no body, but its Content-Length describes the GET answer: keep it.
      const length = c2.c1.method === 'HEAD' ? headers['content-length'] : undefined
      c2.c1.res.cork(() => { // outside the uWS handler, cork: one write, one syscall
        writeC1Head(c2.c1, status, statusText ?? '', headers)
        if (length) c2.c1.res.writeHeader('content-length', String(length))
      })
      c2.headWritten = true
      c2.noBody = !hasBody(c2.c1.method, status)
    },
    onResponseData(_: Dispatcher.DispatchController, chunk: Buffer) {
      if (c2.c1.aborted) return
      c2.c1.res.cork(() => c2.c1.res.write(chunk)) // uWS sends it at once, chunked
    },
    onResponseEnd() {
      if (c2.c1.aborted) return
      // endWithoutBody() sends the head alone; end() would add "Content-Length: 0" or a final chunk.
      c2.c1.res.cork(() => c2.noBody ? c2.c1.res.endWithoutBody() : c2.c1.res.end())
    },
    onResponseError(_: Dispatcher.DispatchController, err: Error) {
      if (c2.c1.aborted) return // we aborted C2 ourselves: the client is gone
      const reason = (err as { code?: string }).code ?? err.message // branch on codes, not on text
      console.error(`C2 failed: ${c2.c1.method} ${c2.c1.url}: ${reason}`)
      if (c2.headWritten) return void c2.c1.res.close() // a broken response must not look complete
      c2.c1.res.cork(() => c2.c1.res.writeStatus('502 Bad Gateway').end(`502 Bad Gateway: ${reason}\n`))
    },
  }
  // No request body yet: step 7 streams it.
  agent.dispatch({ origin: backend.origin, path: c1.url, method: c1.method, headers: c2Headers(c1) }, c2)
}

// uWS writes its own Date and framing headers: copying the backend's would send them twice.
const UWS_WRITES = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

/** HEAD answers and 204 and 304 statuses never carry a body (RFC 9110 §6.4.1). */
function hasBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304
}

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

/** The proxy's one route. Every server name needs it: uWS resets requests for a name with no routes. */
function attachC1(app: uWS.TemplatedApp): uWS.TemplatedApp {
  return app.any('/*', (res, req) => {
    const c1 = copyC1(res, req)
    res.onAborted(() => { // MUST be set before returning: we answer later
      c1.aborted = true
      c1.c2?.abort(new Error('client went away')) // undici destroys the backend connection
    })
    console.log(`C1: ${c1.method} ${c1.url} → ${backend.origin}`)
    openC2(c1)
  })
}

/** uWS only says "App construction failed" for a bad file: try each one first, to name it. */
function checkPem(file: string): string {
  try { readFileSync(file) } catch { console.error(`cannot read ${file}`); process.exit(1) }
  return file
}

const app = attachC1(uWS.SSLApp({ cert_file_name: checkPem(values.cert), key_file_name: checkPem(values.key) }))
for (const flag of values.sni) {
  const [, name = '', cert = '', key = ''] = /^([^=]+)=([^,]+),(.+)$/.exec(flag) ?? []
  // addServerName loads the files; domain(name) is where the routes for that name go
  attachC1(app.addServerName(name, { cert_file_name: checkPem(cert), key_file_name: checkPem(key) }).domain(name))
}
app.listen(host, port, (socket) => {
  if (!socket) { console.error(`cannot listen on ${values.listen}`); process.exit(1) }
  console.log(`proxy to ${backend.origin} listening on https://${host}:${uWS.us_socket_local_port(socket)}`)
})
