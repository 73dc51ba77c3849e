// The C2 response parser's edge cases as a table: what it accepts, what it hands over, what it rejects and why.
import t from 'tap'
import { ResponseParser } from '../src/c2/response-parser.js'

interface Outcome {
  error?: string
  code?: string
  status?: number
  reason?: string
  headers?: string[]
  body?: string
  trailers?: string[]
  informational?: number[]
  keepAlive?: boolean
  reusable?: boolean
}

/** Feeds `raw` (Latin-1) in reads of `step` bytes (0: all at once), then EOF unless `eof` is false. */
function parse(raw: string, opts: { head?: boolean; step?: number; eof?: boolean; limit?: number } = {}): Outcome {
  const out: Outcome = { informational: [] }
  let body = ''
  const parser = new ResponseParser({
    onInformational: (status) => void out.informational?.push(status),
    onHead: (head) => Object.assign(out, { status: head.status, reason: head.reason, headers: head.headers, keepAlive: head.keepAlive }),
    onBody: (chunk) => void (body += chunk.toString('latin1')),
    onEnd: (trailers) => void (out.trailers = trailers),
  }, opts.limit)
  parser.start(opts.head ?? false)
  const bytes = Buffer.from(raw, 'latin1')
  const step = opts.step || bytes.length || 1
  for (let i = 0; i < bytes.length; i += step) {
    const err = parser.execute(bytes.subarray(i, i + step))
    if (err) return { error: err.message, code: err.code }
  }
  if (opts.eof !== false) {
    const err = parser.finish()
    if (err) return { error: err.message, code: err.code }
  }
  return { ...out, body, reusable: parser.reusable }
}

const accepted: Array<[what: string, raw: string, want: Outcome, opts?: Parameters<typeof parse>[1]]> = [
  ['Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello',
    { status: 200, reason: 'OK', headers: ['content-length', '5'], body: 'hello', trailers: [], keepAlive: true, reusable: true }],
  ['names lowercased, values trimmed of SP and HTAB, inner ones kept', 'HTTP/1.1 200 OK\r\nX-Thing: \t a \t b \t\r\nContent-Length: 0\r\n\r\n',
    { headers: ['x-thing', 'a \t b', 'content-length', '0'], body: '' }],
  ['obs-text bytes kept as Latin-1', 'HTTP/1.1 200 Ok\xe9\r\nX: caf\xe9\xff\r\nContent-Length: 0\r\n\r\n',
    { reason: 'Ok\xe9', headers: ['x', 'caf\xe9\xff', 'content-length', '0'] }],
  ['no reason phrase, no space', 'HTTP/1.1 204\r\n\r\n', { status: 204, reason: '', body: '' }],
  ['an empty header value', 'HTTP/1.1 200 OK\r\nX:\r\nContent-Length: 0\r\n\r\n', { headers: ['x', '', 'content-length', '0'] }],
  ['chunked, extensions and trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\nA\r\n, world!!!\r\n000;end\r\nX-T: 1\r\n\r\n',
    { body: 'hello, world!!!', trailers: ['x-t', '1'], reusable: true }],
  ['Transfer-Encoding is case-insensitive', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n', { body: '' }],
  ['close-delimited body runs to EOF, never reusable', 'HTTP/1.1 200 OK\r\n\r\nall of it',
    { body: 'all of it', keepAlive: false, reusable: false }],
  ['HEAD: no body whatever the length', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', { body: '', reusable: true }, { head: true }],
  ['HEAD: chunked announced, no body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', { body: '', reusable: true }, { head: true }],
  ['204 has no body', 'HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n', { status: 204, body: '', reusable: true }],
  ['304 has no body', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', { status: 304, body: '', reusable: true }],
  ['100 consumed, 103 and 102 reported', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 102 P\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx',
    { informational: [103, 102], status: 200, body: 'x' }],
  ['Connection: close → not reusable', 'HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, reusable: false }],
  ['HTTP/1.0 → not reusable', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { keepAlive: false, reusable: false }],
  ['HTTP/1.0 with keep-alive → reusable', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', { keepAlive: true, reusable: true }],
  ['a 40 KiB head is under the limit', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(40_000)}\r\nContent-Length: 0\r\n\r\n`, { status: 200 }],
  ['status 999 is a status', 'HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n', { status: 999 }],
]

t.test('accepted responses, whole and split byte by byte, give the same result', async (t) => {
  for (const [what, raw, want, opts] of accepted) {
    for (const step of [0, 1, 7]) {
      const got = parse(raw, { ...opts, step })
      t.notOk(got.error, `${what} (reads of ${step || 'all'}): got error ${got.error}, want none`)
      for (const key of Object.keys(want) as (keyof Outcome)[]) {
        t.same(got[key], want[key], `${what} (reads of ${step || 'all'}): ${key}`)
      }
    }
  }
})

const rejected: Array<[what: string, raw: string, why: RegExp, opts?: Parameters<typeof parse>[1]]> = [
  ['HTTP/1.2', 'HTTP/1.2 200 OK\r\n\r\n', /bad status line/],
  ['HTTP/2.0 in an HTTP/1 status line', 'HTTP/2.0 200 OK\r\n\r\n', /bad status line/],
  ['lowercase http', 'http/1.1 200 OK\r\n\r\n', /bad status line/],
  ['two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', /bad status/],
  ['status 099', 'HTTP/1.1 099 OK\r\n\r\n', /bad status code/],
  ['four-digit status', 'HTTP/1.1 2000 OK\r\n\r\n', /bad status line/],
  ['NUL in the reason', 'HTTP/1.1 200 O\x00K\r\n\r\n', /reason phrase/],
  ['bare LF ends the status line', 'HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n', /bare LF/],
  ['bare LF ends a header', 'HTTP/1.1 200 OK\r\nX: y\n\r\n', /bare LF/],
  ['bare CR inside a value', 'HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n', /control character/],
  ['NUL inside a value', 'HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n', /control character/],
  ['DEL inside a value', 'HTTP/1.1 200 OK\r\nX: a\x7fb\r\n\r\n', /control character/],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n', /obs-fold/],
  ['space before the colon', 'HTTP/1.1 200 OK\r\nX : a\r\n\r\n', /bad header line/],
  ['no colon', 'HTTP/1.1 200 OK\r\nX a\r\n\r\n', /bad header line/],
  ['empty name', 'HTTP/1.1 200 OK\r\n: a\r\n\r\n', /empty name/],
  ['non-token name byte', 'HTTP/1.1 200 OK\r\nX(y): a\r\n\r\n', /bad header line/],
  ['Content-Length not digits', 'HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello', /bad Content-Length/],
  ['Content-Length list', 'HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello', /bad Content-Length/],
  ['Content-Length too large', 'HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999\r\n\r\n', /bad Content-Length/],
  ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello', /more than one Content-Length/],
  ['two equal Content-Lengths (as llhttp)', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello', /more than one Content-Length/],
  ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /both Content-Length and Transfer-Encoding/],
  ['gzip coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx', /unsupported Transfer-Encoding/],
  ['gzip, chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', /unsupported Transfer-Encoding/],
  ['two Transfer-Encoding fields', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /more than one Transfer-Encoding/],
  ['chunk size not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size/],
  ['space after the chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n', /bad chunk size/],
  ['chunk size overflow', `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'f'.repeat(20)}\r\n`, /too large/],
  ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n', /longer than its size/],
  ['control byte in a chunk extension', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\x01\r\nx\r\n0\r\n\r\n', /chunk extension/],
  ['bad trailer line', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX : 1\r\n\r\n', /bad header line/],
  ['101 to a request that asked for none', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n', /101/],
  ['head over the limit', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`, /over 65536 bytes/],
  ['head over the limit even when it arrives in small reads', `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}\r\n\r\n`, /over 65536 bytes/, { step: 1000 }],
  ['a small limit', 'HTTP/1.1 200 OK\r\nX: abcdefghij\r\n\r\n', /over 20 bytes/, { limit: 20 }],
]

t.test('broken responses are rejected as invalid, whole and split', async (t) => {
  for (const [what, raw, why, opts] of rejected) {
    for (const step of [0, 1]) {
      if (step === 1 && raw.length > 1000) continue
      const got = parse(raw, { step, ...opts })
      t.equal(got.code, 'UPROXY_C2_INVALID_RESPONSE', `${what} (reads of ${step || 'all'}): got code ${got.code}, want UPROXY_C2_INVALID_RESPONSE`)
      t.match(got.error ?? '', why, `${what}: got "${got.error}", want ${why}`)
    }
  }
})

const cutShort: Array<[what: string, raw: string]> = [
  ['nothing at all', ''],
  ['half a status line', 'HTTP/1.1 20'],
  ['a head without its blank line', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'],
  ['a Content-Length body short of its length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel'],
  ['a chunked body without its last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'],
  ['a chunk cut in its data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'],
  ['trailers without their blank line', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n'],
  ['only a 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n'],
]

t.test('a response cut short by EOF is an error, never complete', async (t) => {
  for (const [what, raw] of cutShort) {
    const got = parse(raw)
    t.equal(got.code, 'UPROXY_C2_CLOSED', `${what}: got code ${got.code} (${got.error}), want UPROXY_C2_CLOSED`)
  }
  t.match(parse('').error, /without answering/, 'no byte at all says so: a stale keep-alive connection looks like this')
})

t.test('one parser serves response after response; bytes after a response make the connection unusable', async (t) => {
  const heads: number[] = []
  let ends = 0
  const parser = new ResponseParser({
    onInformational: () => {},
    onHead: (head) => void heads.push(head.status),
    onBody: () => {},
    onEnd: () => void ends++,
  })
  parser.start(false)
  t.equal(parser.started, false, 'nothing read yet')
  t.notOk(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')))
  t.ok(parser.reusable, 'the first response ended cleanly')
  parser.start(true)
  t.notOk(parser.execute(Buffer.from('HTTP/1.1 404 No\r\nContent-Length: 2\r\n\r\n')))
  t.ok(parser.reusable, 'a HEAD response ends at its head')
  parser.start(false)
  t.notOk(parser.execute(Buffer.from('HTTP/1.1 201 OK\r\nContent-Length: 1\r\n\r\nxEXTRA')))
  t.same(heads, [200, 404, 201])
  t.equal(ends, 3)
  t.notOk(parser.reusable, 'bytes after the response: got reusable, want not')
})

t.test('halt() inside a callback stops the parser at once', async (t) => {
  let bodies = 0
  let ended = false
  const parser: ResponseParser = new ResponseParser({
    onInformational: () => {},
    onHead: () => parser.halt(),
    onBody: () => void bodies++,
    onEnd: () => void (ended = true),
  })
  parser.start(false)
  t.notOk(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')))
  t.equal(ended, false, 'halted in onHead: got onEnd, want none')
  parser.start(false)
  t.notOk(parser.execute(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody')))
  t.equal(bodies, 0, 'halted in onHead: got body, want none')
  t.notOk(parser.finish(), 'a halted parser has nothing to say at EOF')
})
