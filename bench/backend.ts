// The loopback origin: fixed responses on uWebSockets.js, fast enough never to be the bottleneck.
//
// Run as its own process by targets.ts; prints `backend listening on http://127.0.0.1:PORT`.
//   GET  /small   22 bytes with Content-Length
//   GET  /1mib    1 MiB with Content-Length, sent with tryEnd and backpressure (no copy per request)
//   GET  /stream  STREAM_CHUNKS chunks, Transfer-Encoding: chunked, one chunk per event-loop turn
//   POST /upload  reads the whole body, answers `received N bytes`
//   GET  /cached  the 22 bytes of /small with Cache-Control: max-age=3600 (the cache-hit workload)
//   GET  /text    64 KiB of text/plain (the compressed workload)
import uWS from 'uWebSockets.js'
import { MIB_BODY, SMALL_BODY, STREAM_BODY, STREAM_CHUNK, STREAM_CHUNKS, TEXT_BODY, uploadReply } from './workloads.js'

const app = uWS.App()

app.get('/small', (res) => {
  res.end(SMALL_BODY)
})

app.get('/cached', (res) => {
  res.cork(() => { res.writeHeader('cache-control', 'max-age=3600').end(SMALL_BODY) })
})

app.get('/text', (res) => {
  res.cork(() => { res.writeHeader('content-type', 'text/plain').end(TEXT_BODY) })
})

app.get('/1mib', (res) => {
  const total = MIB_BODY.length
  const [ok, done] = res.tryEnd(MIB_BODY, total)
  if (ok || done) return
  // The rest is not buffered by tryEnd: resume from the write offset when the socket drains (VideoStreamer.js).
  res.onAborted(() => {})
  res.onWritable((offset) => {
    const [ok2] = res.tryEnd(MIB_BODY.subarray(offset), total)
    return ok2
  })
})

app.get('/stream', (res) => {
  let aborted = false
  let i = 0
  res.onAborted(() => { aborted = true })
  const writeNext = (): void => {
    if (aborted) return
    res.cork(() => {
      const ok = res.write(STREAM_BODY.subarray(i * STREAM_CHUNK, (i + 1) * STREAM_CHUNK))
      i++
      if (i === STREAM_CHUNKS) {
        res.end()
      } else if (ok) {
        setImmediate(writeNext)
      } else {
        // write() buffered the chunk; wait for the drain before producing more.
        res.onWritable(() => { setImmediate(writeNext); return true })
      }
    })
  }
  writeNext()
})

app.post('/upload', (res) => {
  let bytes = 0
  let aborted = false
  res.onAborted(() => { aborted = true })
  res.onData((chunk, isLast) => {
    bytes += chunk.byteLength
    if (isLast && !aborted) res.cork(() => { res.end(uploadReply(bytes)) })
  })
})

app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end('not found')
})

app.listen('127.0.0.1', 0, (listenSocket) => {
  if (!listenSocket) {
    console.error('backend: could not listen on 127.0.0.1')
    process.exit(1)
  }
  console.log(`backend listening on http://127.0.0.1:${uWS.us_socket_local_port(listenSocket)}`)
})
