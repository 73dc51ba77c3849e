// Compression as phases: the response head picks gzip or br by Accept-Encoding; the body streams through zlib, flushed chunk by chunk.
import type { IncomingHttpHeaders } from 'node:http'
import zlib from 'node:zlib'
import type { Exchange, Hooks } from '../exchange/hooks.js'
import { pickEncoding, type Encoding } from './accept-encoding.js'

/** text/*, JSON, JavaScript, XML and SVG, with their +json and +xml kin (nginx's gzip_types, widened as Caddy's encode does). */
const COMPRESSIBLE = /^(text\/[^;]+|application\/(json|javascript|x-javascript|ecmascript|xml|xhtml\+xml|[\w.-]+\+json|[\w.-]+\+xml)|image\/svg\+xml)\s*(;|$)/i

/** Brotli's quality for streaming: 11 (its default) costs ten times the CPU for a few per cent; 5 is what Caddy and nginx's module use. */
const BROTLI_QUALITY = 5

/** One response's compressor: its zlib stream and what it emitted since the last flush. */
interface Compressor {
  readonly stream: zlib.Gzip | zlib.BrotliCompress
  readonly flushKind: number
  out: Buffer[]
}

/**
 * The --compress hooks: a response the client accepts gzip or br for, of a compressible type,
 * at least `minBytes` long (when its length is known), not already encoded, not a range, is
 * compressed as it streams; every backend chunk is flushed out at once, so server-sent events
 * and slow streams are not held back.
 */
export function compression(minBytes: number): Hooks {
  const compressors = new WeakMap<Exchange, Compressor>()
  return {
    c2ResponseHead(exchange, head) {
      const headers = head.headers
      if (!mayCompress(exchange, head.status, headers, minBytes)) return
      // the response depends on Accept-Encoding from now on, whichever this client gets
      headers.vary = withVary(headers.vary)
      const encoding = pickEncoding(acceptEncoding(exchange.request.headers))
      if (!encoding) return
      headers['content-encoding'] = encoding
      headers['content-length'] = undefined
      // byte ranges of the identity body mean nothing in the encoded one (nginx drops it too)
      headers['accept-ranges'] = undefined
      // RFC 9110 §8.8.3: the encoded body is not the same bytes, so a strong validator would lie
      const etag = headers.etag
      if (typeof etag === 'string' && !etag.startsWith('W/')) headers.etag = `W/${etag}`
      compressors.set(exchange, openCompressor(encoding))
    },
    c2ResponseBody(exchange, chunk, last) {
      const compressor = compressors.get(exchange)
      if (!compressor) return chunk
      if (last) compressors.delete(exchange)
      return compress(compressor, chunk, last)
    },
    end(exchange) {
      compressors.get(exchange)?.stream.destroy()
      compressors.delete(exchange)
    },
  }
}

/** Not HEAD, 204, 304 or a range; a compressible type, not encoded yet, not no-transform, not known to be short. */
function mayCompress(exchange: Exchange, status: number, headers: IncomingHttpHeaders, minBytes: number): boolean {
  if (exchange.request.method === 'HEAD' || status < 200 || status === 204 || status === 206 || status === 304) return false
  const type = headers['content-type']
  if (typeof type !== 'string' || !COMPRESSIBLE.test(type)) return false
  if (headers['content-encoding'] !== undefined || headers['content-range'] !== undefined) return false
  // RFC 9110 §7.7: a proxy must not transform a no-transform response
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(String(headers['cache-control'] ?? ''))) return false
  const length = headers['content-length']
  return length === undefined || Number(length) >= minBytes
}

function withVary(vary: string | string[] | undefined): string {
  const current = Array.isArray(vary) ? vary.join(', ') : vary
  if (!current) return 'Accept-Encoding'
  if (current.split(',').some((name) => /^\s*(accept-encoding|\*)\s*$/i.test(name))) return current
  return `${current}, Accept-Encoding`
}

function acceptEncoding(flat: readonly string[]): string | undefined {
  let value: string | undefined
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'accept-encoding') value = value === undefined ? flat[i + 1] : `${value}, ${flat[i + 1]}`
  }
  return value
}

function openCompressor(encoding: Encoding): Compressor {
  const stream = encoding === 'br'
    ? zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } })
    : zlib.createGzip()
  const compressor: Compressor = {
    stream,
    flushKind: encoding === 'br' ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.Z_SYNC_FLUSH,
    out: [],
  }
  // flowing: what zlib emits is taken at once, so its readable side never fills and stalls a flush
  stream.on('data', (data: Buffer) => compressor.out.push(data))
  return compressor
}

/** `chunk` compressed and flushed (the last: finished); settles with what zlib emitted for it. */
function compress(compressor: Compressor, chunk: Buffer, last: boolean): Promise<Buffer> {
  const { stream } = compressor
  return new Promise((resolve, reject) => {
    const done = () => {
      stream.off('error', reject)
      const out = Buffer.concat(compressor.out)
      compressor.out = []
      resolve(out)
    }
    stream.once('error', reject)
    if (last) {
      stream.once('end', done)
      stream.end(chunk)
    } else {
      if (chunk.length) stream.write(chunk)
      stream.flush(compressor.flushKind, done)
    }
  })
}
