// The baseline: the reverse proxy a good Node developer writes first, on node:http alone.
//
// Run as its own process by targets.ts: `node node-http-proxy.js BACKEND_URL [PORT]`;
// prints `node-http listening on http://127.0.0.1:PORT`. What it does, and why it is not a straw man:
// - one keep-alive http.Agent, sockets reused LIFO, enough free sockets kept for 256 connections;
// - request and response bodies piped both ways (streamed, with backpressure);
// - status and raw headers copied (repeated headers kept), hop-by-hop headers dropped, Host rewritten;
// - a client that goes away destroys the backend request; a backend error answers 502 or cuts C1.
import http from 'node:http'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization',
])

const backend = new URL(process.argv[2] ?? 'http://127.0.0.1:8080')
const port = Number(process.argv[3] ?? 0)
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' })

/** Copy raw headers [name, value, ...] minus hop-by-hop ones, with `host` replaced when given. */
function copyHeaders (raw: string[], host: string | null): string[] {
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    if (HOP_BY_HOP.has(name) || (host !== null && name === 'host')) continue
    out.push(raw[i]!, raw[i + 1]!)
  }
  if (host !== null) out.push('host', host)
  return out
}

const server = http.createServer((req, res) => {
  const upstream = http.request({
    protocol: backend.protocol,
    hostname: backend.hostname,
    port: backend.port,
    method: req.method,
    path: req.url,
    headers: copyHeaders(req.rawHeaders, backend.host) as unknown as http.OutgoingHttpHeaders,
    agent,
  }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, copyHeaders(upRes.rawHeaders, null))
    upRes.pipe(res)
    upRes.on('error', () => res.destroy())
  })
  upstream.on('error', () => {
    if (res.headersSent) res.destroy()
    else res.writeHead(502, { 'content-type': 'text/plain' }).end('bad gateway\n')
  })
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy()
  })
  req.pipe(upstream)
})

server.keepAliveTimeout = 30_000
server.listen(port, '127.0.0.1', () => {
  const addr = server.address()
  const actual = typeof addr === 'object' && addr !== null ? addr.port : port
  console.log(`node-http listening on http://127.0.0.1:${actual}`)
})

// Exit normally on a signal, as a deployed proxy would (and so that `node --cpu-prof` writes its profile).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close()
    server.closeIdleConnections()
    agent.destroy()
    process.exit(0)
  })
}
