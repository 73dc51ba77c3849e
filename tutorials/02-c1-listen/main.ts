// Step 2 — C1: a uWebSockets.js server that copies each request out of uWS, logs it and answers.
// Run: npx tsx tutorials/02-c1-listen/main.ts [--listen HOST:PORT]
import { setImmediate as nextTurn } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import uWS from 'uWebSockets.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
  },
})
const [host, port] = splitHostPort(values.listen)

/** C1: the uWS response plus the request copied out of uWS. */
interface C1 {
  res: uWS.HttpResponse
  method: string
  url: string // path and query, as the client sent them
  headers: Record<string, string>
  remote: string
  aborted: boolean
}

/** Copies everything we need from `req`: it is stack-allocated and dies when the handler returns. */
function copyC1(res: uWS.HttpResponse, req: uWS.HttpRequest): C1 {
  const query = req.getQuery() // undefined when the URL has no '?'
  const headers: Record<string, string> = {}
  req.forEach((name, value) => { headers[name] = value })
  return {
    res,
    method: req.getMethod().toUpperCase(), // uWS gives it lowercased
    url: req.getUrl() + (query ? `?${query}` : ''),
    headers,
    remote: Buffer.from(res.getRemoteAddressAsText()).toString(),
    aborted: false,
  }
}

/** Answers after an await, as a proxy must while it waits for its backend. */
async function answerC1(c1: C1): Promise<void> {
  await nextTurn() // stands in for "wait for the backend" (step 3)
  if (c1.aborted) return // the client left: c1.res must not be touched any more
  // Outside the handler's synchronous part, cork so status, headers and body go out in one write.
  c1.res.cork(() => {
    c1.res.writeStatus('200 OK')
      .writeHeader('content-type', 'text/plain')
      .end(`C1 got ${c1.method} ${c1.url} from ${c1.remote}\n`)
  })
}

/** "HOST:PORT" → [host, port]; ":8080" means 127.0.0.1. */
function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(s.slice(i + 1))]
}

uWS.App()
  .any('/*', (res, req) => {
    const c1 = copyC1(res, req)
    // You MUST register onAborted before returning if you answer later, or uWS terminates the process.
    res.onAborted(() => { c1.aborted = true })
    console.log(`C1: ${c1.method} ${c1.url} from ${c1.remote}`)
    void answerC1(c1)
  })
  .listen(host, port, (socket) => {
    if (!socket) {
      console.error(`cannot listen on ${values.listen}`)
      process.exit(1)
    }
    console.log(`C1 listening on http://${host}:${uWS.us_socket_local_port(socket)}`)
  })
