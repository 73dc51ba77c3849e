// Seeded generators of raw backend responses, valid and broken, for the C2 response parser's differential test.
import { seededRandom } from '../helpers/seeded-random.js'

/** One generated backend answer: the request method it answers, its bytes, and where reads split them. */
export interface ResponseCase {
  readonly id: number
  readonly method: 'GET' | 'HEAD'
  readonly bytes: Buffer
  /** offsets where the parser's input is cut into separate reads, ascending */
  readonly splits: readonly number[]
  /** what the generator put in, for reading a failure: 'chunked', 'te-gzip', 'truncated', … */
  readonly tags: readonly string[]
}

type Random = () => number

const int = (rnd: Random, n: number) => Math.floor(rnd() * n)
const pick = <T>(rnd: Random, items: readonly T[]): T => items[int(rnd, items.length)] as T
const chance = (rnd: Random, p: number) => rnd() < p

const NAMES = ['X-A', 'x-b', 'Content-Type', 'Set-Cookie', 'Cache-Control', 'ETag', 'Vary', 'X-Long-Header-Name-0123456789', 'Link', 'Server']
const PLAIN_VALUES = ['text/plain', 'a=1; Path=/', 'no-cache', '"abc"', 'Accept-Encoding', '', '*', 'x y z', '0', 'café-ish']

/** The value of a header, sometimes with an edge a parser must get right. */
function headerValue(rnd: Random, tags: string[]): string {
  const base = pick(rnd, PLAIN_VALUES)
  switch (int(rnd, 30)) {
    case 0: return `  ${base}  `
    case 1: return `\t${base}\t`
    case 2: return base + String.fromCharCode(0x80 + int(rnd, 128)) // obs-text, kept as a Latin-1 byte
    case 3: tags.push('bad-value-ctl'); return `a${String.fromCharCode(pick(rnd, [0, 1, 8, 11, 12, 27, 31, 127]))}b`
    case 4: tags.push('bad-value-cr'); return 'a\rb'
    case 5: return 'a\tb'
    default: return base
  }
}

/** One header line, CRLF included, sometimes malformed. */
function headerLine(rnd: Random, tags: string[]): string {
  const name = pick(rnd, NAMES)
  switch (int(rnd, 90)) {
    case 0: tags.push('bad-name-space'); return `${name} : v\r\n`
    case 1: tags.push('bad-name-char'); return `${name}${pick(rnd, ['(', '@', '"', '/', '\x7f', '\x80'])}: v\r\n`
    case 2: tags.push('bad-empty-name'); return `: v\r\n`
    case 3: tags.push('bad-obs-fold'); return `${name}: a\r\n ${pick(rnd, ['b', '\tb'])}\r\n`
    case 4: tags.push('bad-bare-lf'); return `${name}: v\n`
    case 5: tags.push('bad-no-colon'); return `${name} v\r\n`
    case 6: return `${name}:v\r\n`
    default: return `${name}: ${headerValue(rnd, tags)}\r\n`
  }
}

/** The status line, sometimes not one. */
function statusLine(rnd: Random, status: number, tags: string[]): string {
  const version = chance(rnd, 0.85) ? 'HTTP/1.1' : 'HTTP/1.0'
  switch (int(rnd, 40)) {
    case 0: {
      const bad = pick(rnd, ['HTTP/1.2', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1x', 'HTTP/11', 'HTTP/1.', 'ICY'])
      tags.push(bad === 'HTTP/2.0' ? 'version-2.0' : 'bad-version')
      return `${bad} ${status} OK\r\n`
    }
    case 1: {
      const bad = pick(rnd, ['20', '2000', 'abc', '', ' 200', '099', '000', '2x0'])
      tags.push(bad.startsWith('0') ? 'status-below-100' : 'bad-status')
      return `${version} ${bad} OK\r\n`
    }
    case 2: tags.push('bad-status-sep'); return `${version}  ${status} OK\r\n`
    case 3: return `${version} ${status}\r\n`
    case 4: return `${version} ${status} \r\n`
    case 5: return `${version} ${status} Ok\xe9 \t ok\r\n`
    case 6: {
      const ctl = pick(rnd, ['\x00', '\x01', '\x7f', '\r'])
      tags.push(ctl === '\r' ? 'bad-reason-cr' : 'reason-ctl')
      return `${version} ${status} O${ctl}K\r\n`
    }
    case 7: tags.push('bad-status-line-lf'); return `${version} ${status} OK\n`
    default: return `${version} ${status} ${pick(rnd, ['OK', 'Whatever', 'Not Found', 'A  B'])}\r\n`
  }
}

/** A chunked body for `body`, sometimes malformed, with extensions and trailers. */
function chunkedBody(rnd: Random, body: Buffer, tags: string[]): Buffer {
  const parts: Buffer[] = []
  let offset = 0
  while (offset < body.length) {
    const size = Math.min(body.length - offset, 1 + int(rnd, 300))
    let sizeText = size.toString(16)
    if (chance(rnd, 0.2)) sizeText = sizeText.toUpperCase()
    if (chance(rnd, 0.05)) sizeText = `00${sizeText}`
    let ext = ''
    switch (int(rnd, 30)) {
      case 0: ext = ';a=b'; break
      case 1: ext = ';a'; break
      case 2: ext = ';a="q v"'; break
      case 3: tags.push('bad-chunk-size-space'); sizeText += ' '; break
      case 4: tags.push('bad-chunk-size-hex'); sizeText = `${sizeText}g`; break
      case 5: tags.push('bad-chunk-ext-ctl'); ext = ';a=\x01'; break
      case 6: tags.push('bad-chunk-size-lf'); ext = '\n'; break
    }
    const data = body.subarray(offset, offset + size)
    let crlf = '\r\n'
    if (chance(rnd, 0.02)) {
      tags.push('bad-chunk-data-end')
      crlf = pick(rnd, ['\n', 'XX', '\r'])
    }
    parts.push(Buffer.from(`${sizeText}${ext}${ext.endsWith('\n') ? '' : '\r\n'}`, 'latin1'), data, Buffer.from(crlf, 'latin1'))
    offset += size
  }
  let last = chance(rnd, 0.1) ? '000' : '0'
  if (chance(rnd, 0.05)) last += ';end=1'
  let trailers = ''
  if (chance(rnd, 0.2)) {
    tags.push('trailers')
    trailers = `X-Trailer: t${int(rnd, 100)}\r\n`
    if (chance(rnd, 0.2)) trailers += headerLine(rnd, tags)
  }
  parts.push(Buffer.from(`${last}\r\n${trailers}\r\n`, 'latin1'))
  return Buffer.concat(parts)
}

/** A body of `n` bytes from the PRNG, binary, CRLFs and all. */
function bodyBytes(rnd: Random, n: number): Buffer {
  const out = Buffer.alloc(n)
  for (let i = 0; i < n; i++) out[i] = chance(rnd, 0.05) ? pick(rnd, [13, 10, 48]) : int(rnd, 256)
  return out
}

/** Head and body of one final response, with its framing chosen at random. */
function finalResponse(rnd: Random, method: 'GET' | 'HEAD', tags: string[]): Buffer {
  const status = pick(rnd, [200, 200, 200, 201, 204, 206, 301, 304, 404, 500, 599, 999, 299])
  const bodyless = method === 'HEAD' || status === 204 || status === 304
  let head = statusLine(rnd, status, tags)
  for (let i = int(rnd, 6); i > 0; i--) head += headerLine(rnd, tags)
  if (chance(rnd, 0.15)) head += `Connection: ${pick(rnd, ['close', 'keep-alive', 'Keep-Alive', 'foo, close', 'upgrade'])}\r\n`
  const length = chance(rnd, 0.2) ? 0 : int(rnd, chance(rnd, 0.1) ? 5000 : 400)
  const body = bodyless ? Buffer.alloc(0) : bodyBytes(rnd, length)
  const framing = int(rnd, 20)
  let rest = body
  if (framing < 7) {
    head += `Content-Length: ${length}\r\n`
  } else if (framing < 13) {
    tags.push('chunked')
    head += `Transfer-Encoding: ${pick(rnd, ['chunked', 'chunked', 'Chunked', ' chunked '])}\r\n`
    rest = bodyless ? body : chunkedBody(rnd, body, tags)
  } else if (framing === 13) {
    tags.push('close-delimited')
  } else if (framing === 14) {
    const other = pick(rnd, [length, length + 1, Math.max(0, length - 1)])
    tags.push(other === length ? 'cl-duplicate-equal' : 'cl-duplicate-differ')
    head += `Content-Length: ${length}\r\nContent-Length: ${other}\r\n`
  } else if (framing === 15) {
    const bad = pick(rnd, [`+${length}`, `${length}x`, `0x${length}`, `${length}, ${length}`, '-1', `${length}.0`, '', '99999999999999999999'])
    tags.push('cl-bad')
    head += `Content-Length: ${bad}\r\n`
  } else if (framing === 16) {
    tags.push('te-and-cl')
    head += `Transfer-Encoding: chunked\r\nContent-Length: ${length}\r\n`
    rest = bodyless ? body : chunkedBody(rnd, body, tags)
  } else if (framing === 17) {
    tags.push('te-coding')
    head += `Transfer-Encoding: ${pick(rnd, ['gzip', 'gzip, chunked', 'chunked, chunked', 'identity', 'chunked;q=1'])}\r\n`
    rest = bodyless ? body : chunkedBody(rnd, body, tags)
  } else if (framing === 18) {
    tags.push('cl-short-body')
    head += `Content-Length: ${length + 1 + int(rnd, 10)}\r\n`
  } else {
    tags.push('big-head')
    const size = chance(rnd, 0.5) ? 20_000 + int(rnd, 20_000) : 70_000 + int(rnd, 10_000)
    if (size > 64 * 1024) tags.push('bad-head-too-large')
    head += `X-Big: ${'b'.repeat(size)}\r\nContent-Length: ${length}\r\n`
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), rest])
}

/** 1xx heads sent before the final one: 100 Continue, 103 Early Hints, 102 Processing. */
function informational(rnd: Random, tags: string[]): string {
  let out = ''
  for (let i = int(rnd, 3); i > 0; i--) {
    const status = pick(rnd, [100, 103, 102])
    tags.push(`informational-${status}`)
    out += `HTTP/1.1 ${status} ${status === 103 ? 'Early Hints\r\nLink: </a.css>; rel=preload' : 'X'}\r\n\r\n`
  }
  return out
}

/** The `index`-th case of the run seeded `seed`: the same arguments always give the same case. */
export function generateResponseCase(seed: number, index: number): ResponseCase {
  const rnd = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)
  const tags: string[] = []
  const method = chance(rnd, 0.1) ? 'HEAD' : 'GET'
  if (method === 'HEAD') tags.push('head-request')
  let bytes = Buffer.concat([Buffer.from(chance(rnd, 0.1) ? informational(rnd, tags) : '', 'latin1'), finalResponse(rnd, method, tags)])
  if (chance(rnd, 0.12) && bytes.length > 1) {
    tags.push('truncated')
    bytes = bytes.subarray(0, 1 + int(rnd, bytes.length - 1))
  }
  const splits = new Set<number>()
  for (let i = int(rnd, 5); i > 0; i--) splits.add(1 + int(rnd, Math.max(1, bytes.length - 1)))
  if (chance(rnd, 0.02) && bytes.length < 400) for (let i = 1; i < bytes.length; i++) splits.add(i) // byte by byte
  return { id: index, method, bytes, splits: [...splits].filter((s) => s < bytes.length).sort((a, b) => a - b), tags }
}
