// Generators of malformed and hostile requests: each turns a seeded Rng into one RequestCase.
import { caseSeed, createRng, type Rng } from './prng.js'
import { caseToken, type Forwarding, type RequestCase } from './request-case.js'

/** What a generator returns; the runner adds the index, name and defaults. */
type Draft = Partial<RequestCase> & { variant: string; parts: (Buffer | number)[]; forwarding: Forwarding }

interface Generator {
  name: string
  /** relative frequency */
  weight: number
  make(rng: Rng, tok: (n: number | 's') => string): Draft
}

const CRLF = '\r\n'
const latin1 = (text: string) => Buffer.from(text, 'latin1')

/** A request head: request line, Host and the token header unless `headers` already has them. */
function head(requestLine: string, token: string, headers: string[] = [], host = true): string {
  const lines = [requestLine]
  if (host) lines.push('Host: fuzz.test')
  lines.push(`X-Fz: ${token}`, ...headers)
  return lines.join(CRLF) + CRLF + CRLF
}

/** A printable body of `n` bytes. */
function text(rng: Rng, n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += String.fromCharCode(rng.int(32, 126))
  return out
}

/** A valid request with token `token`: GET, POST with Content-Length, or chunked POST. */
function validRequest(rng: Rng, token: string): string {
  const kind = rng.int(0, 2)
  if (kind === 0) return head(`GET /${token}?q=${rng.int(0, 999)} HTTP/1.1`, token)
  const body = text(rng, rng.int(0, 300))
  if (kind === 1) return head(`POST /${token} HTTP/1.1`, token, [`Content-Length: ${body.length}`]) + body
  return head(`POST /${token} HTTP/1.1`, token, ['Transfer-Encoding: chunked']) + chunked(rng, body)
}

/** `body` as valid chunks, sometimes with chunk extensions and a trailer (RFC 9112 §7.1). */
function chunked(rng: Rng, body: string): string {
  let out = ''
  for (let at = 0; at < body.length;) {
    const size = Math.min(body.length - at, rng.int(1, 200))
    out += `${size.toString(16)}${rng.chance(0.2) ? ';ext=1' : ''}${CRLF}${body.slice(at, at + size)}${CRLF}`
    at += size
  }
  return `${out}0${CRLF}${rng.chance(0.2) ? `X-Trailer: t${CRLF}` : ''}${CRLF}`
}

/** Splits `bytes` at random points into several writes: framing must not depend on packet boundaries. */
function split(rng: Rng, bytes: string): Buffer[] {
  const parts: Buffer[] = []
  let at = 0
  const cuts = rng.int(0, 3)
  for (let i = 0; i < cuts && at < bytes.length; i++) {
    const next = rng.int(at + 1, bytes.length)
    parts.push(latin1(bytes.slice(at, next)))
    at = next
  }
  if (at < bytes.length) parts.push(latin1(bytes.slice(at)))
  return parts
}

/** A variant table entry: a name, what may be forwarded, and the bytes. */
type Variant = [name: string, forwarding: Forwarding, bytes: string]

function fromTable(rng: Rng, table: Variant[]): Draft {
  const [variant, forwarding, bytes] = rng.pick(table)
  return { variant, forwarding, parts: split(rng, bytes) }
}

const CONTROL_BYTES = [0x00, 0x01, 0x08, 0x0b, 0x0c, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0xa0, 0xc3, 0xff]

export const GENERATORS: Generator[] = [
  {
    name: 'valid',
    weight: 6,
    make: (rng, tok) => ({ variant: 'one valid request', forwarding: 'any', parts: split(rng, validRequest(rng, tok(0))) }),
  },
  {
    name: 'request-line',
    weight: 6,
    make: (rng, tok) => {
      const t = tok(0)
      return fromTable(rng, [
        ['no version', 'never', `GET /${t}${CRLF}Host: x${CRLF}X-Fz: ${t}${CRLF}${CRLF}`],
        ['HTTP/2.0', 'never', head(`GET /${t} HTTP/2.0`, t)],
        ['HTTP/1.1 trailing word', 'never', head(`GET /${t} HTTP/1.1 extra`, t)],
        ['two spaces', 'never', head(`GET  /${t} HTTP/1.1`, t)],
        ['tab separator', 'never', head(`GET\t/${t}\tHTTP/1.1`, t)],
        ['lowercase version', 'never', head(`GET /${t} http/1.1`, t)],
        ['HTTP/1.x', 'never', head(`GET /${t} HTTP/1.x`, t)],
        ['no target', 'never', head('GET HTTP/1.1', t)],
        ['empty method', 'never', head(` /${t} HTTP/1.1`, t)],
        ['method with (', 'never', head(`GE(T /${t} HTTP/1.1`, t)],
        ['method with /', 'never', head(`GE/T /${t} HTTP/1.1`, t)],
        ['space in target', 'never', head(`GET /${t} x HTTP/1.1`, t)],
        ['leading CRLF', 'any', CRLF + head(`GET /${t} HTTP/1.1`, t)],
        ['LF line endings', 'any', `GET /${t} HTTP/1.1\nHost: x\nX-Fz: ${t}\n\n`],
        ['HTTP/1.0', 'any', head(`GET /${t} HTTP/1.0`, t)],
        ['HTTP/0.9', 'never', `GET /${t}${CRLF}`],
        ['garbage', 'never', `\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03${t}${CRLF}${CRLF}`],
      ])
    },
  },
  {
    name: 'content-length',
    weight: 8,
    make: (rng, tok) => {
      const t = tok(0)
      const post = (lengths: string[], body: string) => head(`POST /${t} HTTP/1.1`, t, lengths.map((l) => `Content-Length:${l}`)) + body
      return fromTable(rng, [
        ['negative', 'never', post([' -1'], 'abc')],
        ['plus sign', 'never', post([' +3'], 'abc')],
        ['hex', 'never', post([' 0x3'], 'abc')],
        ['decimal point', 'never', post([' 3.0'], 'abc')],
        ['two numbers', 'never', post([' 3 3'], 'abc')],
        ['list 3,3', 'any', post([' 3,3'], 'abc')],
        ['list 3,4', 'never', post([' 3,4'], 'abcd')],
        ['empty', 'never', post([''], 'abc')],
        ['letters', 'never', post([' abc'], 'abc')],
        ['overflow', 'never', post([' 99999999999999999999999'], 'abc')],
        ['2^53', 'never', post([' 9007199254740993'], 'abc')],
        ['duplicate equal', 'never', post([' 3', ' 3'], 'abc')],
        ['duplicate differing', 'never', post([' 3', ' 10'], 'abcdefghij')],
        ['duplicate differing, smuggle', 'never', post([' 0', ` ${head(`GET /${tok('s')} HTTP/1.1`, tok('s')).length}`],
          head(`GET /${tok('s')} HTTP/1.1`, tok('s')))],
        ['no space', 'any', post(['3'], 'abc')],
        ['trailing space', 'any', post([' 3 '], 'abc')],
        ['leading zeros', 'any', post([' 0003'], 'abc')],
        ['tab', 'any', post(['\t3'], 'abc')],
        ['vertical tab', 'never', post([' \x0b3'], 'abc')],
        ['on GET', 'any', head(`GET /${t} HTTP/1.1`, t, ['Content-Length: 3']) + 'abc'],
      ])
    },
  },
  {
    name: 'transfer-encoding',
    weight: 8,
    make: (rng, tok) => {
      const t = tok(0)
      const body = `3${CRLF}abc${CRLF}0${CRLF}${CRLF}`
      const post = (te: string[], tail = body) => head(`POST /${t} HTTP/1.1`, t, te.map((v) => `Transfer-Encoding:${v}`)) + tail
      return fromTable(rng, [
        ['Chunked', 'any', post([' Chunked'])],
        ['CHUNKED', 'any', post([' CHUNKED'])],
        ['no space', 'any', post(['chunked'])],
        ['trailing space', 'any', post([' chunked '])],
        ['identity', 'never', post([' identity'], 'abc')],
        ['chunked, identity', 'never', post([' chunked, identity'])],
        ['gzip, chunked', 'any', post([' gzip, chunked'])],
        ['xchunked', 'never', post([' xchunked'])],
        ['chunked-false', 'never', post([' chunked-false'])],
        ['vertical tab', 'never', post([' \x0bchunked'])],
        ['two headers', 'any', post([' chunked', ' chunked'])],
        ['two headers identity', 'never', post([' identity', ' chunked'])],
        ['empty', 'never', post([''], 'abc')],
        ['name with space', 'never', head(`POST /${t} HTTP/1.1`, t, ['Transfer-Encoding : chunked']) + body],
        ['HTTP/1.0', 'any', head(`POST /${t} HTTP/1.0`, t, ['Transfer-Encoding: chunked']) + body],
        ['on GET', 'any', head(`GET /${t} HTTP/1.1`, t, ['Transfer-Encoding: chunked']) + body],
      ])
    },
  },
  {
    name: 'chunked-body',
    weight: 8,
    make: (rng, tok) => {
      const t = tok(0)
      const post = (chunks: string) => head(`POST /${t} HTTP/1.1`, t, ['Transfer-Encoding: chunked']) + chunks
      return fromTable(rng, [
        ['size zz', 'incomplete', post(`zz${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['size -1', 'incomplete', post(`-1${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['size 0x3', 'incomplete', post(`0x3${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['size overflow', 'incomplete', post(`fffffffffffffffff3${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['size 2^64+3', 'incomplete', post(`10000000000000003${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['empty size', 'incomplete', post(`${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['size with space', 'any', post(`3 ${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['no CRLF after data', 'incomplete', post(`3${CRLF}abcXX0${CRLF}${CRLF}`)],
        ['data longer than size', 'incomplete', post(`3${CRLF}abcdef${CRLF}0${CRLF}${CRLF}`)],
        ['LF only', 'any', post(`3\nabc\n0\n\n`)],
        ['bare CR', 'incomplete', post(`3\rabc\r0\r\r`)],
        ['extension', 'any', post(`3;name=value${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['quoted extension', 'any', post(`3;name="v a l"${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['extension with NUL', 'incomplete', post(`3;a\x00b${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['extension with LF', 'incomplete', post(`3;a\nb${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['long extension', 'any', post(`3;${'e'.repeat(rng.int(100, 20_000))}${CRLF}abc${CRLF}0${CRLF}${CRLF}`)],
        ['no last chunk', 'incomplete', post(`3${CRLF}abc${CRLF}`)],
        ['trailer with NUL', 'incomplete', post(`3${CRLF}abc${CRLF}0${CRLF}X-T: a\x00b${CRLF}${CRLF}`)],
        ['trailer Content-Length', 'any', post(`3${CRLF}abc${CRLF}0${CRLF}Content-Length: 50${CRLF}${CRLF}`)],
      ])
    },
  },
  {
    name: 'obs-fold',
    weight: 3,
    make: (rng, tok) => {
      const t = tok(0)
      return fromTable(rng, [
        ['folded value', 'any', head(`GET /${t} HTTP/1.1`, t, ['X-Folded: a', ' b'])],
        ['folded with tab', 'any', head(`GET /${t} HTTP/1.1`, t, ['X-Folded: a', '\tb'])],
        ['folded Transfer-Encoding', 'any', head(`POST /${t} HTTP/1.1`, t, ['Transfer-Encoding:', ' chunked']) + `3${CRLF}abc${CRLF}0${CRLF}${CRLF}`],
        ['folded Content-Length', 'any', head(`POST /${t} HTTP/1.1`, t, ['Content-Length:', ' 3']) + 'abc'],
        ['fold as first header', 'never', `GET /${t} HTTP/1.1${CRLF} X-First: a${CRLF}Host: x${CRLF}X-Fz: ${t}${CRLF}${CRLF}`],
      ])
    },
  },
  {
    name: 'control-bytes',
    weight: 10,
    make: (rng, tok) => {
      const t = tok(0)
      const byte = String.fromCharCode(rng.pick(CONTROL_BYTES))
      const code = byte.charCodeAt(0).toString(16).padStart(2, '0')
      const high = byte.charCodeAt(0) >= 0x80
      const where = rng.pick(['name', 'value', 'path', 'query', 'method', 'host'] as const)
      const variant = `0x${code} in ${where}`
      if (where === 'name') return { variant, forwarding: 'never', parts: [latin1(head(`GET /${t} HTTP/1.1`, t, [`X-B${byte}d: v`]))] }
      if (where === 'value') {
        const value = `a${byte}b`
        // obs-text (0x80-0xFF) is allowed in values (RFC 9110 §5.5) and must pass unchanged; other controls may be refused
        return {
          variant, forwarding: 'any', parts: [latin1(head(`GET /${t} HTTP/1.1`, t, [`X-Bytes: ${value}`]))],
          ...(high ? { exactHeader: ['x-bytes', value] as [string, string] } : {}),
        }
      }
      if (where === 'host') return { variant, forwarding: 'never', parts: [latin1(head(`GET /${t} HTTP/1.1`, t, [`Host: fu${byte}zz.test`], false))] }
      if (where === 'method') return { variant, forwarding: 'never', parts: [latin1(head(`GE${byte}T /${t} HTTP/1.1`, t))] }
      const target = where === 'path' ? `/${t}/a${byte}b` : `/${t}?q=a${byte}b`
      return {
        variant, forwarding: high ? 'any' : 'never', parts: [latin1(head(`GET ${target} HTTP/1.1`, t))],
        ...(high ? { exactTarget: target } : {}),
      }
    },
  },
  {
    name: 'host',
    weight: 6,
    make: (rng, tok) => {
      const t = tok(0)
      const get = (hosts: string[]) => head(`GET /${t} HTTP/1.1`, t, hosts.map((h) => `Host:${h}`), false)
      return fromTable(rng, [
        ['duplicate equal', 'never', get([' fuzz.test', ' fuzz.test'])],
        ['duplicate differing', 'never', get([' fuzz.test', ' evil.test'])],
        ['missing, HTTP/1.1', 'never', get([])],
        ['missing, HTTP/1.0', 'any', head(`GET /${t} HTTP/1.0`, t, [], false)],
        ['empty', 'any', get([''])],
        ['space inside', 'never', get([' fuzz test'])],
        ['userinfo', 'never', get([' user@fuzz.test'])],
        ['slash', 'never', get([' fuzz.test/evil'])],
        ['two ports', 'never', get([' fuzz.test:80:81'])],
        ['bad port', 'never', get([' fuzz.test:8x'])],
        ['unclosed IPv6', 'never', get([' [::1'])],
        ['IPv6', 'any', get([' [::1]:80'])],
        ['comma list', 'never', get([' a.test, b.test'])],
        ['absolute-form differs', 'any', head(`GET http://other.test/${t} HTTP/1.1`, t)],
      ])
    },
  },
  {
    name: 'dot-segments',
    weight: 6,
    make: (rng, tok) => {
      const t = tok(0)
      const target = rng.pick([
        `/a/../${t}`, `/../${t}`, `/a/./${t}`, `/./${t}`, `/a/%2e%2e/${t}`, `/a/%2E%2E/${t}`, `/a/.%2e/${t}`,
        `/a/%2e/${t}`, `/a/b/../../../../${t}`, `/${t}/..`, `/${t}/.`, `/${t}/%2e%2e`, `/a/..;/${t}`,
        `/${t}/..?q=1`, `/a/%2e%2e%2f${t}`, `//${t}`, `/a//${t}//`, `/a//../${t}`, `///${t}?q=a//b`,
      ])
      return { variant: target.replace(t, 'TOKEN'), forwarding: 'any', parts: [latin1(head(`GET ${target} HTTP/1.1`, t))] }
    },
  },
  {
    name: 'fragment',
    weight: 2,
    make: (rng, tok) => {
      const t = tok(0)
      const target = rng.pick([`/${t}#frag`, `/${t}?q=1#frag`, `/${t}#/../admin`, `/${t}#`])
      return { variant: target.replace(t, 'TOKEN'), forwarding: 'any', parts: [latin1(head(`GET ${target} HTTP/1.1`, t))] }
    },
  },
  {
    name: 'big-head',
    weight: 3,
    make: (rng, tok) => {
      const t = tok(0)
      const kind = rng.int(0, 2)
      if (kind === 0) {
        const n = rng.int(4_000, 120_000)
        return { variant: `one ${n}-byte value`, forwarding: 'any', parts: split(rng, head(`GET /${t} HTTP/1.1`, t, [`X-Big: ${'v'.repeat(n)}`])) }
      }
      if (kind === 1) {
        const n = rng.int(2_000, 100_000)
        return { variant: `a ${n}-byte path`, forwarding: 'any', parts: split(rng, head(`GET /${t}/${'p'.repeat(n)} HTTP/1.1`, t)) }
      }
      const n = rng.int(50, 3_000)
      const headers = Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`)
      return { variant: `${n} headers`, forwarding: 'any', parts: split(rng, head(`GET /${t} HTTP/1.1`, t, headers)) }
    },
  },
  {
    name: 'truncated-head',
    weight: 4,
    make: (rng, tok) => {
      const bytes = validRequest(rng, tok(0))
      const end = bytes.indexOf(CRLF + CRLF)
      const cut = rng.int(1, end + 3)
      const leave = rng.pick(['stay', 'half-close', 'destroy'] as const)
      return { variant: `cut at ${cut} of ${end + 4}, ${leave}`, forwarding: 'never', parts: [latin1(bytes.slice(0, cut))], leave, complete: false }
    },
  },
  {
    name: 'truncated-body',
    weight: 4,
    make: (rng, tok) => {
      const t = tok(0)
      const leave = rng.pick(['stay', 'half-close', 'destroy'] as const)
      if (rng.chance(0.5)) {
        const length = rng.int(2, 100_000)
        const sent = rng.int(0, length - 1)
        return {
          variant: `Content-Length ${length}, ${sent} sent, ${leave}`, forwarding: 'incomplete', leave, complete: false,
          parts: [latin1(head(`POST /${t} HTTP/1.1`, t, [`Content-Length: ${length}`])), sent],
        }
      }
      const cut = rng.int(0, 4)
      const chunks = [`a${CRLF}`, 'abcdefghij', CRLF, `0${CRLF}`, CRLF].slice(0, cut).join('')
      return {
        variant: `chunked cut after ${cut} of 5 pieces, ${leave}`, forwarding: 'incomplete', leave, complete: false,
        parts: [latin1(head(`POST /${t} HTTP/1.1`, t, ['Transfer-Encoding: chunked']) + chunks)],
      }
    },
  },
  {
    name: 'pipelined',
    weight: 6,
    make: (rng, tok) => {
      const n = rng.int(2, 5)
      const bytes = Array.from({ length: n }, (_, i) => validRequest(rng, tok(i))).join('')
      return { variant: `${n} requests`, forwarding: 'any', parts: split(rng, bytes) }
    },
  },
  {
    name: 'smuggle',
    weight: 10,
    make: (rng, tok) => {
      const t = tok(0)
      const hidden = head(`GET /${tok('s')} HTTP/1.1`, tok('s'))
      const post = (headers: string[], body: string) => head(`POST /${t} HTTP/1.1`, t, headers) + body
      const chunk = `${hidden.length.toString(16)}${CRLF}${hidden}${CRLF}0${CRLF}${CRLF}`
      return fromTable(rng, [
        ['CL.TE', 'any', post(['Content-Length: 5', 'Transfer-Encoding: chunked'], `0${CRLF}${CRLF}${hidden}`)],
        ['TE.CL', 'any', post(['Transfer-Encoding: chunked', 'Content-Length: 4'], `${chunk}`)],
        ['CL.TE obfuscated TE', 'any', post(['Content-Length: 5', 'Transfer-Encoding: xchunked'], `0${CRLF}${CRLF}${hidden}`)],
        ['TE.TE tab', 'any', post(['Transfer-Encoding:\tchunked', 'Transfer-Encoding: x'], `0${CRLF}${CRLF}${hidden}`)],
        ['TE with space before colon', 'any', post(['Content-Length: 5', 'Transfer-Encoding : chunked'], `0${CRLF}${CRLF}${hidden}`)],
        ['TE folded', 'any', post(['Content-Length: 5', 'Transfer-Encoding:', ' chunked'], `0${CRLF}${CRLF}${hidden}`)],
        ['CL.CL', 'any', post(['Content-Length: 0', `Content-Length: ${hidden.length}`], hidden)],
        ['CL on GET', 'any', head(`GET /${t} HTTP/1.1`, t, [`Content-Length: ${hidden.length}`]) + hidden],
        ['CL with LF-only head', 'any', `POST /${t} HTTP/1.1\nHost: x\nX-Fz: ${t}\nContent-Length: 5\nTransfer-Encoding: chunked\n\n0\n\n${hidden}`],
        ['chunk size overflow', 'any', post(['Transfer-Encoding: chunked'], `10000000000000000${CRLF}${CRLF}${hidden}0${CRLF}${CRLF}`)],
        ['bare LF in chunk', 'any', post(['Transfer-Encoding: chunked'], `2\nxx${CRLF}0${CRLF}${CRLF}${hidden}`)],
        ['NUL in header', 'any', post(['X-A: a\x00', 'Content-Length: 0'], hidden)],
        ['Expect with TE.CL', 'any', post(['Expect: 100-continue', 'Transfer-Encoding: chunked', 'Content-Length: 4'], chunk)],
      ])
    },
  },
  {
    name: 'absolute-form',
    weight: 3,
    make: (rng, tok) => {
      const t = tok(0)
      return fromTable(rng, [
        ['http', 'any', head(`GET http://fuzz.test/${t} HTTP/1.1`, t)],
        ['https', 'any', head(`GET https://fuzz.test/${t} HTTP/1.1`, t)],
        ['with port', 'any', head(`GET http://fuzz.test:80/${t}?q=1 HTTP/1.1`, t)],
        ['no path', 'any', head(`GET http://fuzz.test HTTP/1.1`, t)],
        ['userinfo', 'any', head(`GET http://u:p@fuzz.test/${t} HTTP/1.1`, t)],
        ['authority-form on GET', 'never', head(`GET fuzz.test:80 HTTP/1.1`, t)],
        ['asterisk on OPTIONS', 'any', head(`OPTIONS * HTTP/1.1`, t)],
        ['asterisk on GET', 'never', head(`GET * HTTP/1.1`, t)],
        ['relative', 'never', head(`GET ${t} HTTP/1.1`, t)],
        ['double slash', 'any', head(`GET //evil.test/${t} HTTP/1.1`, t)],
      ])
    },
  },
  {
    name: 'connect',
    weight: 2,
    make: (rng, tok) => {
      const t = tok(0)
      return fromTable(rng, [
        ['authority', 'never', head(`CONNECT fuzz.test:443 HTTP/1.1`, t)],
        ['path', 'never', head(`CONNECT /${t} HTTP/1.1`, t)],
        ['with tunnel bytes', 'never', head(`CONNECT fuzz.test:80 HTTP/1.1`, t) + head(`GET /${tok('s')} HTTP/1.1`, tok('s'))],
        ['lowercase', 'any', head(`connect /${t} HTTP/1.1`, t)],
      ])
    },
  },
  {
    name: 'methods',
    weight: 4,
    make: (rng, tok) => {
      const t = tok(0)
      const method = rng.pick(['PURGE', 'PROPFIND', 'M-SEARCH', 'FOO_BAR', 'X!#$%&\'*+-.^_`|~1', 'QUERY', 'TRACE', 'PATCH',
        'DELETE', 'PUT', 'OPTIONS', 'HEAD', 'LINK', 'A'.repeat(rng.int(20, 200))])
      const body = rng.chance(0.5) ? 'abc' : ''
      const headers = body ? ['Content-Length: 3'] : []
      return { variant: method.length > 20 ? `${method.length}-char method` : method, forwarding: 'any', parts: [latin1(head(`${method} /${t} HTTP/1.1`, t, headers) + body)] }
    },
  },
  {
    name: 'early-close',
    weight: 4,
    make: (rng, tok) => {
      const leave = rng.pick(['half-close', 'destroy'] as const)
      const bytes = validRequest(rng, tok(0))
      return { variant: `whole request, ${leave}`, forwarding: 'any', parts: split(rng, bytes), leave, complete: false }
    },
  },
  {
    name: 'early-answer-upload',
    weight: 1,
    make: (rng, tok) => {
      const t = tok(0)
      const size = rng.int(4 * 1024 * 1024, 6 * 1024 * 1024)
      const leave = rng.pick(['stay', 'stay', 'destroy'] as const)
      const parts: (Buffer | number)[] = rng.chance(0.5)
        ? [latin1(head(`POST /early/${t} HTTP/1.1`, t, [`Content-Length: ${size}`])), size]
        : [latin1(head(`POST /early/${t} HTTP/1.1`, t, ['Transfer-Encoding: chunked']) + `${size.toString(16)}${CRLF}`), size,
            latin1(`${CRLF}0${CRLF}${CRLF}`)]
      const framing = parts.length === 2 ? 'Content-Length' : 'chunked'
      return { variant: `${size}-byte ${framing} upload, ${leave}`, forwarding: 'any', parts, route: 'early', leave, complete: false, deadlineMs: 15_000 }
    },
  },
  {
    name: 'expect',
    weight: 2,
    make: (rng, tok) => {
      const t = tok(0)
      return fromTable(rng, [
        ['100-continue', 'any', head(`POST /${t} HTTP/1.1`, t, ['Expect: 100-continue', 'Content-Length: 3']) + 'abc'],
        ['100-continue, no body', 'any', head(`POST /${t} HTTP/1.1`, t, ['Expect: 100-continue', 'Content-Length: 0'])],
        ['unknown expectation', 'any', head(`POST /${t} HTTP/1.1`, t, ['Expect: something', 'Content-Length: 3']) + 'abc'],
      ])
    },
  },
]

const TOTAL_WEIGHT = GENERATORS.reduce((sum, g) => sum + g.weight, 0)

/** Case `index` of a run seeded `seed`, optionally from one generator only. */
export function generateCase(seed: number, index: number, only?: string): RequestCase {
  const rng = createRng(caseSeed(seed, index))
  let generator = GENERATORS.find((g) => g.name === only)
  if (!generator) {
    let roll = rng.next() * TOTAL_WEIGHT
    generator = GENERATORS.find((g) => (roll -= g.weight) < 0) ?? (GENERATORS[0] as Generator)
  }
  const draft = generator.make(rng, (n) => caseToken(index, n))
  return {
    index,
    generator: generator.name,
    route: 'echo',
    leave: 'stay',
    complete: true,
    deadlineMs: 1500,
    ...draft,
  }
}
