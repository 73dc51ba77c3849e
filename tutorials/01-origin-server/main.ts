// Step 1 — the origin server: the backend that every later step proxies to.
// Run: npx tsx tutorials/01-origin-server/main.ts [--listen HOST:PORT] [--cert FILE --key FILE]
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8081' },
    cert: { type: 'string' }, // with --key: serve https instead of http (step 6)
    key: { type: 'string' },
  },
})
const [host, port] = splitHostPort(values.listen)
const tls = values.cert && values.key
  ? { cert: readFileSync(values.cert), key: readFileSync(values.key) }
  : undefined

/** Answers one request; the paths besides `/` exist for the later steps. */
function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  console.log(`origin: ${req.method} ${req.url} (Host: ${req.headers.host})`)
  const path = new URL(req.url ?? '/', 'http://origin').pathname
  if (path === '/headers') {
    // What the proxy forwarded: steps 3 and 9 use this to show Host and X-Forwarded-*.
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }, null, 2) + '\n')
  } else if (path === '/stream') {
    streamChunks(res) // step 4
  } else if (path === '/upload') {
    countBody(req, res) // step 7
  } else if (path === '/time') {
    // The origin's clock, which a cache may keep for 10 s (step 14): a stored copy shows an older time.
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=10' })
    res.end(`origin time ${new Date().toISOString()}\n`)
  } else {
    const body = 'origin server response\n'
    // An explicit length, so that HEAD answers carry it too (step 4).
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }
}

/** Sends three lines 300 ms apart, so a streaming proxy shows each as it comes. */
function streamChunks(res: http.ServerResponse): void {
  res.setHeader('content-type', 'text/plain')
  let n = 0
  const next = () => {
    n += 1
    res.write(`chunk ${n}\n`)
    if (n === 3) res.end()
    else timer = setTimeout(next, 300)
  }
  let timer = setTimeout(next, 0)
  res.on('close', () => clearTimeout(timer)) // the proxy went away: stop writing
}

/** Reads the whole upload and says how many bytes arrived. */
function countBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  let bytes = 0
  req.on('data', (chunk: Buffer) => { bytes += chunk.length })
  req.on('end', () => {
    res.setHeader('content-type', 'text/plain')
    res.end(`received ${bytes} bytes\n`)
  })
}

/** "HOST:PORT" → [host, port]; ":8081" means 127.0.0.1. */
function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1', Number(s.slice(i + 1))]
}

const server = tls ? https.createServer(tls, answer) : http.createServer(answer)
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on ${values.listen}: ${err.code}`)
  process.exit(1)
})
server.listen(port, host, () => {
  const { port: real } = server.address() as AddressInfo
  const where = host.includes(':') ? `[${host}]` : host
  console.log(`origin listening on ${tls ? 'https' : 'http'}://${where}:${real}`)
})
