// The four workloads: what the client sends, what the backend answers, and the exact bytes expected.

/** The small body every party must pass through unchanged (22 bytes). */
export const SMALL_BODY = Buffer.from('origin server response')

/** 1 MiB with a non-repeating-looking pattern, so a dropped or reordered chunk changes the bytes. */
export const MIB_BODY = patternBuffer(1024 * 1024, 251)

/** The streamed body: STREAM_CHUNKS writes of STREAM_CHUNK bytes each, sent chunked. */
export const STREAM_CHUNK = 16 * 1024
export const STREAM_CHUNKS = 16
export const STREAM_BODY = patternBuffer(STREAM_CHUNK * STREAM_CHUNKS, 241)

/** 64 KiB of text, words from a fixed list in a fixed order, compressible as real text is: the compressed workload's body. */
export const TEXT_BODY = textBuffer(64 * 1024)

/** What the backend answers to the 1 MiB upload: the byte count it received. */
export const uploadReply = (bytes: number): string => `received ${bytes} bytes`

export type WorkloadName = 'small-get' | '1mib-get' | '1mib-post' | 'stream' | 'cached-get' | 'text-gzip'

export interface Workload {
  name: WorkloadName
  method: 'GET' | 'POST'
  path: string
  /** Request body sent with each request, or null. */
  body: Buffer | null
  /** The response body every target must return byte for byte. */
  expected: Buffer
  /** Requests per tinybench iteration, spread over the connections (at least one each). */
  batch: number
  /** Request headers beyond Host (and the body's), as lowercase names. */
  headers?: Record<string, string>
  /** Measured only on the targets that differ on it (`uproxy-edge`) and those it is compared with. */
  edge?: true
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'small-get', method: 'GET', path: '/small', body: null, expected: SMALL_BODY, batch: 1024 },
  { name: '1mib-get', method: 'GET', path: '/1mib', body: null, expected: MIB_BODY, batch: 32 },
  { name: '1mib-post', method: 'POST', path: '/upload', body: MIB_BODY, expected: Buffer.from(uploadReply(MIB_BODY.length)), batch: 32 },
  { name: 'stream', method: 'GET', path: '/stream', body: null, expected: STREAM_BODY, batch: 128 },
  // /cached says max-age=3600: a hit through uproxy-edge (--cache), a proxied request through uproxy
  { name: 'cached-get', method: 'GET', path: '/cached', body: null, expected: SMALL_BODY, batch: 1024, edge: true },
  // the client accepts gzip: compressed by uproxy-edge (--compress), passed as is by uproxy
  { name: 'text-gzip', method: 'GET', path: '/text', body: null, expected: TEXT_BODY, batch: 64, headers: { 'accept-encoding': 'gzip' }, edge: true },
]

function patternBuffer (size: number, modulus: number): Buffer {
  const buf = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) buf[i] = (i * 7 + (i >>> 10)) % modulus
  return buf
}

function textBuffer (size: number): Buffer {
  const words = ['proxy', 'stream', 'cache', 'origin', 'client', 'header', 'chunk', 'bytes', 'flush', 'edge', 'backend']
  let text = ''
  for (let i = 0; text.length < size; i++) text += `${words[(i * 7 + (i >>> 3)) % words.length]}${i % 13 === 0 ? '\n' : ' '}`
  return Buffer.from(text.slice(0, size))
}
