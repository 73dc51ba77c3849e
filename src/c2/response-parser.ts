// A strict incremental HTTP/1.1 response parser: bytes in, head / body chunks / end out, no I/O.
import { C2Error, C2_CODES } from './c2-errors.js'

/** A final response head, as the parser hands it over. */
export interface ResponseHead {
  status: number
  /** the reason phrase, as Latin-1 (one char per byte), '' when the backend sent none */
  reason: string
  /** flat [name, value, …], names lowercase, values Latin-1 with surrounding whitespace trimmed */
  headers: string[]
  /** the connection may carry another exchange once this response ends */
  keepAlive: boolean
}

/** What the parser reports, in order: any 1xx heads, one final head, body chunks, the end. */
export interface ResponseSink {
  /** a 1xx other than 100 (e.g. 103 Early Hints); 100 Continue is consumed silently */
  onInformational(status: number, headers: string[]): void
  onHead(head: ResponseHead): void
  /** a view into the bytes fed: valid only until the call returns unless copied or consumed */
  onBody(chunk: Buffer): void
  /** the body is complete; `trailers` are a chunked body's trailer fields (flat, like headers) */
  onEnd(trailers: string[]): void
}

/** The head size limit when none is given, as nginx's proxy_buffer_size is a few pages and Node's 16 KiB. */
export const MAX_RESPONSE_HEAD_BYTES = 64 * 1024

const enum State {
  StatusLine,
  HeaderLine,
  ChunkSizeLine,
  ChunkData,
  ChunkDataEnd,
  TrailerLine,
  LengthBody,
  CloseBody,
  Done,
  Failed,
}

const CR = 13
const LF = 10
const SP = 32
const HTAB = 9
const COLON = 58
const SEMICOLON = 59

/** tchar (RFC 9110 §5.6.2): 1 for the bytes a header name or token may hold. */
const TOKEN = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1
for (let c = 48; c <= 57; c++) TOKEN[c] = 1
for (let c = 65; c <= 90; c++) TOKEN[c] = 1
for (let c = 97; c <= 122; c++) TOKEN[c] = 1

/** field-vchar, SP and HTAB (RFC 9110 §5.5): no NUL, CR, LF, DEL or other control byte; obs-text is allowed. */
const FIELD = new Uint8Array(256)
FIELD[HTAB] = 1
for (let c = 32; c < 256; c++) FIELD[c] = c === 127 ? 0 : 1

/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1)
for (let c = 0; c < 10; c++) HEX[48 + c] = c
for (let c = 0; c < 6; c++) HEX[65 + c] = HEX[97 + c] = 10 + c

/** More hex digits than this in a chunk size cannot be a real chunk (2^52 bytes), only an overflow. */
const MAX_CHUNK_SIZE_DIGITS = 13

/**
 * Parses one response at a time from a connection's bytes, split at any boundary. Call
 * `start` before each response, `execute` with each chunk read, `finish` at EOF. Errors are
 * returned (never thrown) as C2Error: UPROXY_C2_INVALID_RESPONSE for bytes that break the
 * grammar, UPROXY_C2_CLOSED for a response cut short by EOF.
 */
export class ResponseParser {
  private state = State.Done
  private isHeadRequest = false
  /** the bytes of an unfinished line, kept until its LF arrives */
  private partial: Buffer | undefined
  /** bytes of head (or of one chunk-size line, or of trailers) so far, against the limit */
  private lineBytes = 0
  /** some byte of the current response arrived */
  private gotBytes = false
  private status = 0
  private reason = ''
  private minor = 1
  private fields: string[] = []
  private contentLength = -1
  private chunked = false
  private connectionClose = false
  private connectionKeepAlive = false
  private remaining = 0
  private keepAlive = false
  /** bytes arrived after the response ended: the connection cannot be trusted with another */
  private extra = false

  constructor(private readonly sink: ResponseSink, private readonly maxHeadBytes = MAX_RESPONSE_HEAD_BYTES) {}

  /** Expects a new response, to a HEAD request when `isHeadRequest` (it then has no body). */
  start(isHeadRequest: boolean): void {
    this.isHeadRequest = isHeadRequest
    this.gotBytes = false
    this.extra = false
    this.partial = undefined
    this.beginHead()
  }

  /** Some byte of the current response has arrived (a close before that may be a stale keep-alive). */
  get started(): boolean {
    return this.gotBytes
  }

  /** The response ended, its framing allows another on this connection, and nothing followed it. */
  get reusable(): boolean {
    return this.state === State.Done && this.keepAlive && !this.extra
  }

  /** The response ended (onEnd was called). */
  get done(): boolean {
    return this.state === State.Done
  }

  /** Stops parsing at once, e.g. when the sink gave up on the response inside a callback. */
  halt(): void {
    this.state = State.Failed
    this.partial = undefined
  }

  /** Parses `chunk`; returns the error that ends the response, or undefined. */
  execute(chunk: Buffer): C2Error | undefined {
    if (chunk.length === 0) return undefined
    if (this.state === State.Failed) return undefined
    if (this.state === State.Done) {
      this.extra = true
      return undefined
    }
    this.gotBytes = true
    let data = chunk
    if (this.partial) {
      // the unfinished line was counted against the limit when it arrived; it is counted again now, whole
      this.lineBytes -= this.partial.length
      data = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    try {
      this.run(data)
      return undefined
    } catch (err) {
      if (!(err instanceof C2Error)) throw err
      this.halt()
      return err
    }
  }

  /** The connection reached EOF: ends a close-delimited body, or returns why the response is incomplete. */
  finish(): C2Error | undefined {
    const state = this.state
    if (state === State.Done || state === State.Failed) return undefined
    if (state === State.CloseBody) {
      this.end([])
      return undefined
    }
    this.halt()
    return new C2Error(C2_CODES.closed, this.gotBytes
      ? 'the backend closed the connection before the response was complete'
      : 'the backend closed the connection without answering')
  }

  private run(data: Buffer): void {
    let pos = 0
    const length = data.length
    while (pos < length) {
      switch (this.state) {
        case State.LengthBody: {
          const n = Math.min(this.remaining, length - pos)
          this.remaining -= n
          const piece = data.subarray(pos, pos + n)
          pos += n
          this.sink.onBody(piece)
          if (this.remaining === 0 && this.state === State.LengthBody) this.end([])
          break
        }
        case State.ChunkData: {
          const n = Math.min(this.remaining, length - pos)
          this.remaining -= n
          const piece = data.subarray(pos, pos + n)
          pos += n
          if (this.remaining === 0) this.state = State.ChunkDataEnd
          this.sink.onBody(piece)
          break
        }
        case State.CloseBody:
          this.sink.onBody(pos === 0 ? data : data.subarray(pos))
          return
        case State.Done:
          this.extra = true
          return
        case State.Failed:
          return
        default: {
          const lf = data.indexOf(LF, pos)
          if (lf < 0) {
            this.countLine(length - pos)
            this.partial = data.subarray(pos)
            return
          }
          this.countLine(lf + 1 - pos)
          if (lf === pos || data[lf - 1] !== CR) throw invalid('a line ends in a bare LF, not CRLF')
          this.onLine(data, pos, lf - 1)
          pos = lf + 1
        }
      }
    }
  }

  private countLine(n: number): void {
    this.lineBytes += n
    if (this.lineBytes > this.maxHeadBytes) throw invalid(`the response head is over ${this.maxHeadBytes} bytes`)
  }

  /** One line, [start, end) without its CRLF, in the current line-oriented state. */
  private onLine(data: Buffer, start: number, end: number): void {
    switch (this.state) {
      case State.StatusLine:
        return this.onStatusLine(data, start, end)
      case State.HeaderLine:
        if (start === end) return this.onHeadEnd()
        return this.onField(data, start, end, this.fields)
      case State.ChunkSizeLine:
        return this.onChunkSize(data, start, end)
      case State.ChunkDataEnd:
        if (start !== end) throw invalid('chunk data is longer than its size, or not followed by CRLF')
        this.state = State.ChunkSizeLine
        this.lineBytes = 0
        return
      case State.TrailerLine:
        if (start === end) return this.end(this.fields)
        return this.onField(data, start, end, this.fields)
    }
  }

  /** `HTTP/1.x NNN reason` (RFC 9112 §4); the reason may be empty, its space too. */
  private onStatusLine(data: Buffer, start: number, end: number): void {
    if (end - start < 12 || !startsWithHttp1(data, start) ||
      (data[start + 7] !== 48 && data[start + 7] !== 49) || data[start + 8] !== SP) {
      throw invalid(`bad status line "${printable(data, start, end)}"`)
    }
    const d0 = (data[start + 9] as number) - 48
    const d1 = (data[start + 10] as number) - 48
    const d2 = (data[start + 11] as number) - 48
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw invalid(`bad status code in "${printable(data, start, end)}"`)
    let reasonStart = start + 12
    if (reasonStart < end) {
      if (data[reasonStart] !== SP) throw invalid(`bad status line "${printable(data, start, end)}"`)
      reasonStart++
      for (let i = reasonStart; i < end; i++) {
        if (FIELD[data[i] as number] === 0) throw invalid('a control character in the reason phrase')
      }
    }
    this.minor = (data[start + 7] as number) - 48
    this.status = d0 * 100 + d1 * 10 + d2
    this.reason = reasonStart < end ? data.toString('latin1', reasonStart, end) : ''
    this.state = State.HeaderLine
  }

  /** `name: value` (RFC 9110 §5): a token, a colon right after it, a value of field bytes. */
  private onField(data: Buffer, start: number, end: number, into: string[]): void {
    let colon = start
    let upper = false
    while (colon < end) {
      const c = data[colon] as number
      if (TOKEN[c] === 0) break
      if (c >= 65 && c <= 90) upper = true
      colon++
    }
    if (colon === end || data[colon] !== COLON) {
      // a leading space is obs-fold (RFC 9112 §5.2), rejected by a proxy rather than unfolded
      if (colon === start && (data[start] === SP || data[start] === HTAB)) throw invalid('an obs-fold continuation line')
      throw invalid(`bad header line "${printable(data, start, end)}"`)
    }
    if (colon === start) throw invalid('a header line with an empty name')
    let from = colon + 1
    let to = end
    while (from < to && (data[from] === SP || data[from] === HTAB)) from++
    while (to > from && (data[to - 1] === SP || data[to - 1] === HTAB)) to--
    for (let i = from; i < to; i++) {
      if (FIELD[data[i] as number] === 0) throw invalid('a control character in a header value')
    }
    const raw = data.toString('latin1', start, colon)
    const name = upper ? raw.toLowerCase() : raw
    const value = data.toString('latin1', from, to)
    into.push(name, value)
    if (this.state === State.HeaderLine) this.onFramingField(name, value)
  }

  /** Notes the fields that frame the message or decide the connection's reuse. */
  private onFramingField(name: string, value: string): void {
    switch (name) {
      case 'content-length':
        // any second Content-Length, equal or not, is refused as llhttp does (RFC 9112 §6.3 item 5 allows refusing)
        if (this.contentLength >= 0) throw invalid('more than one Content-Length')
        this.contentLength = parseLength(value)
        return
      case 'transfer-encoding':
        // only plain chunked: any other coding would reach the client still encoded, with no header naming it
        if (this.chunked) throw invalid('more than one Transfer-Encoding')
        if (value.toLowerCase() !== 'chunked') throw invalid(`unsupported Transfer-Encoding "${value}"`)
        this.chunked = true
        return
      case 'connection':
        for (const token of value.split(',')) {
          const option = token.trim().toLowerCase()
          if (option === 'close') this.connectionClose = true
          else if (option === 'keep-alive') this.connectionKeepAlive = true
        }
    }
  }

  /** The blank line after the fields: a 1xx starts over, a final head decides how the body is framed. */
  private onHeadEnd(): void {
    const { status, fields } = this
    if (this.chunked && this.contentLength >= 0) throw invalid('both Content-Length and Transfer-Encoding')
    if (status < 200) {
      // C2 never asks to upgrade (Upgrade is hop-by-hop), so a 101 can only be a broken backend
      if (status === 101) throw invalid('101 Switching Protocols to a request that asked for no upgrade')
      if (status !== 100) this.sink.onInformational(status, fields)
      return this.beginHead()
    }
    const bodyless = this.isHeadRequest || status === 204 || status === 304
    // RFC 9112 §6.3 item 8: with no framing the body runs to EOF, so the connection cannot be reused;
    // §9.3: HTTP/1.1 persists unless "close", HTTP/1.0 only with an explicit keep-alive
    const closeDelimited = !bodyless && !this.chunked && this.contentLength < 0
    this.keepAlive = !closeDelimited && !this.connectionClose && (this.minor === 1 || this.connectionKeepAlive)
    const head: ResponseHead = { status, reason: this.reason, headers: fields, keepAlive: this.keepAlive }
    this.fields = []
    this.lineBytes = 0
    if (bodyless || this.contentLength === 0) {
      this.state = State.Done
      this.sink.onHead(head)
      // the sink may have halted the parser in onHead
      if (this.state === State.Done) this.sink.onEnd([])
      return
    }
    if (this.chunked) this.state = State.ChunkSizeLine
    else if (closeDelimited) this.state = State.CloseBody
    else {
      this.remaining = this.contentLength
      this.state = State.LengthBody
    }
    this.sink.onHead(head)
  }

  /** `1*HEXDIG [ ; extensions ]` (RFC 9112 §7.1); no whitespace around the size. */
  private onChunkSize(data: Buffer, start: number, end: number): void {
    let size = 0
    let i = start
    while (i < end) {
      const v = HEX[data[i] as number] as number
      if (v < 0) break
      size = size * 16 + v
      i++
    }
    if (i === start) throw invalid(`bad chunk size line "${printable(data, start, end)}"`)
    if (i - start > MAX_CHUNK_SIZE_DIGITS) throw invalid('a chunk size too large')
    if (i < end) {
      if (data[i] !== SEMICOLON) throw invalid(`bad chunk size line "${printable(data, start, end)}"`)
      for (let j = i + 1; j < end; j++) {
        if (FIELD[data[j] as number] === 0) throw invalid('a control character in a chunk extension')
      }
    }
    this.lineBytes = 0
    if (size === 0) {
      this.state = State.TrailerLine
      return
    }
    this.remaining = size
    this.state = State.ChunkData
  }

  private beginHead(): void {
    this.state = State.StatusLine
    this.lineBytes = 0
    this.fields = []
    this.contentLength = -1
    this.chunked = false
    this.connectionClose = false
    this.connectionKeepAlive = false
  }

  private end(trailers: string[]): void {
    this.state = State.Done
    this.partial = undefined
    this.fields = []
    this.sink.onEnd(trailers)
  }
}

const HTTP_1 = Buffer.from('HTTP/1.', 'latin1')

/** The 7 bytes at `start` are "HTTP/1.". */
function startsWithHttp1(data: Buffer, start: number): boolean {
  for (let i = 0; i < 7; i++) if (data[start + i] !== HTTP_1[i]) return false
  return true
}

/** `1*DIGIT`, at most 15 digits so it stays an exact integer; anything else is an invalid response. */
function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) throw invalid(`bad Content-Length "${value}"`)
  let n = 0
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw invalid(`bad Content-Length "${value}"`)
    n = n * 10 + d
  }
  return n
}

function invalid(why: string): C2Error {
  return new C2Error(C2_CODES.invalidResponse, `invalid response from the backend: ${why}`)
}

/** A line for an error message: at most 80 bytes, control bytes shown as \xNN. */
function printable(data: Buffer, start: number, end: number): string {
  const text = data.toString('latin1', start, Math.min(end, start + 80))
  return text.replace(/[\x00-\x1f\x7f-\xff"]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
