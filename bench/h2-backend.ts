// The TLS origin for `--h2`: node:http2 with allowHTTP1, so one server answers both HTTP/2 and
// HTTP/1.1 over TLS, with the same bytes as backend.ts. Slower than the uWS origin; the two targets
// measured against it (uproxy-h1, uproxy-h2) share it.
//
// Run as its own process by targets.ts: `node h2-backend.js CERT KEY`; prints
// `h2-backend listening on https://localhost:PORT` (the certificate is for localhost and 127.0.0.1).
//   GET  /small    22 bytes with Content-Length
//   GET  /1mib     1 MiB with Content-Length, one write
//   GET  /stream   STREAM_CHUNKS chunks, one per event-loop turn (chunked in HTTP/1.1, DATA frames in h2)
//   POST /upload   reads the whole body, answers `received N bytes`
//   GET  /version  the protocol the request came in on (`1.1` or `2.0`): the bench checks it, not timed
import { readFileSync } from 'node:fs'
import http2 from 'node:http2'
import { MIB_BODY, SMALL_BODY, STREAM_BODY, STREAM_CHUNK, STREAM_CHUNKS, uploadReply } from './workloads.js'

type Req = http2.Http2ServerRequest
type Res = http2.Http2ServerResponse

const [certFile, keyFile] = process.argv.slice(2)
if (certFile === undefined || keyFile === undefined) {
  console.error('usage: node h2-backend.js CERT KEY')
  process.exit(2)
}

const SMALL_LEN = String(SMALL_BODY.length)
const MIB_LEN = String(MIB_BODY.length)

function handle (req: Req, res: Res): void {
  const path = req.url
  if (req.method === 'GET' && path === '/small') {
    res.writeHead(200, { 'content-length': SMALL_LEN })
    res.end(SMALL_BODY)
  } else if (req.method === 'GET' && path === '/1mib') {
    res.writeHead(200, { 'content-length': MIB_LEN })
    res.end(MIB_BODY)
  } else if (req.method === 'GET' && path === '/stream') {
    res.writeHead(200)
    let i = 0
    let closed = false
    res.on('close', () => { closed = true })
    const writeNext = (): void => {
      if (closed) return
      const ok = res.write(STREAM_BODY.subarray(i * STREAM_CHUNK, (i + 1) * STREAM_CHUNK))
      i++
      if (i === STREAM_CHUNKS) res.end()
      else if (ok) setImmediate(writeNext)
      else res.once('drain', () => setImmediate(writeNext))
    }
    writeNext()
  } else if (req.method === 'POST' && path === '/upload') {
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.byteLength })
    req.on('end', () => { res.end(uploadReply(bytes)) })
  } else if (req.method === 'GET' && path === '/version') {
    res.end(req.httpVersion)
  } else {
    res.writeHead(404)
    res.end('not found')
  }
}

// Handlers are typed for the HTTP/2 compatibility API; with allowHTTP1 the HTTP/1.1 requests come
// as node:http's IncomingMessage/ServerResponse, which offer the same members used above.
const server = http2.createSecureServer({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  allowHTTP1: true,
}, handle)

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as import('node:net').AddressInfo
  console.log(`h2-backend listening on https://localhost:${port}`)
})
