// The soak origin: a node:http server with small, 1 MiB, chunked, slow and upload routes whose bodies are known by hash.
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** 16 KiB chunks of the streamed routes. */
const CHUNK = 16 * 1024
/** Chunks of GET /stream, written as fast as the proxy reads them. */
const STREAM_CHUNKS = 32
/** Chunks of GET /slow, one per SLOW_MS. */
const SLOW_CHUNKS = 8
const SLOW_MS = 40

/** The bodies the origin sends, by route: the load checks every body it receives against their sha256. */
export const BODIES = {
  '/small': Buffer.from('origin small body\n'),
  '/1mib': pattern(1024 * 1024, 1),
  '/stream': pattern(STREAM_CHUNKS * CHUNK, 2),
  '/slow': pattern(SLOW_CHUNKS * CHUNK, 3),
} as const

export type Route = keyof typeof BODIES

/** sha256 hex of each route's body. */
export const BODY_SHA256 = Object.fromEntries(Object.entries(BODIES).map(([route, body]) => [route, sha256(body)])) as Record<Route, string>

export function sha256 (bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** `size` bytes from a small LCG: not compressible, not repeating within a route, the same every run. */
function pattern (size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

export interface SoakOrigin {
  url: string
  close (): Promise<void>
}

/**
 * Starts the origin on 127.0.0.1:0. POST /upload reads the body and answers
 * `BYTES SHA256` of what it received; a client that leaves mid-response stops the writes.
 */
export async function startSoakOrigin (): Promise<SoakOrigin> {
  const server = http.createServer((req, res) => {
    res.on('error', () => {})
    req.on('error', () => {})
    const url = req.url ?? ''
    if (url === '/upload') {
      const hash = createHash('sha256')
      let bytes = 0
      req.on('data', (chunk: Buffer) => { bytes += chunk.length; hash.update(chunk) })
      req.on('end', () => res.end(`${bytes} ${hash.digest('hex')}`))
      return
    }
    const body = BODIES[url as Route]
    if (body === undefined) return void res.writeHead(404).end('no such route\n')
    if (url === '/small' || url === '/1mib') return void res.writeHead(200, { 'content-length': body.length }).end(body)
    // chunked (no Content-Length), with backpressure; /slow paced by a timer
    let i = 0
    const writeNext = (): void => {
      while (!res.destroyed) {
        if (i * CHUNK >= body.length) return void res.end()
        const ok = res.write(body.subarray(i * CHUNK, ++i * CHUNK))
        if (url === '/slow') return void setTimeout(writeNext, SLOW_MS)
        if (!ok) return void res.once('drain', writeNext)
      }
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    writeNext()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
