// C1's request body as a Readable for C2, with backpressure: a slow backend pauses the client.
import { Readable } from 'node:stream'
import type { C1 } from './c1.js'

/**
 * Streams the client's body. Each chunk is copied: uWS neuters the ArrayBuffer when
 * onData returns (uWS docs). When C2 stops reading, C1 stops reading the client.
 */
export function c1RequestBody(c1: C1): Readable {
  const res = c1.res
  let paused = false
  const body = new Readable({
    read() {
      if (!paused || c1.done) return
      paused = false
      res.resume()
    },
  })
  res.onData(c1.guard((chunk: ArrayBuffer, isLast: boolean) => {
    // uWS keeps delivering the upload after the response ended (a backend that answered without
    // reading it): `res` must not be touched then, and C2 has no use for the rest
    if (c1.done) return void body.destroy()
    c1.phases.watcher?.c1Body(c1, chunk.byteLength)
    c1.bytesIn += chunk.byteLength
    if (chunk.byteLength > 0 && !body.push(Buffer.from(chunk.slice(0))) && !isLast) {
      paused = true
      res.pause()
    }
    if (isLast) body.push(null)
  }))
  return body
}

/** True when the request carries a body: a non-zero Content-Length, or chunked. */
export function hasRequestBody(c1Headers: string[]): boolean {
  for (let i = 0; i < c1Headers.length; i += 2) {
    const name = c1Headers[i]
    if (name === 'transfer-encoding') return true
    if (name === 'content-length') return c1Headers[i + 1] !== '0'
  }
  return false
}
