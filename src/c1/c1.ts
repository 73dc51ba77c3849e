// C1: the client side of one exchange — the uWS response, written with uWS's framing and backpressure.
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { HttpResponse } from 'uWebSockets.js'
import type { Backend } from '../config/backend-url.js'
import { gatewayStatus } from '../c2/failures.js'
import { describeError, errorCode, gatewayPage } from '../c2/gateway-errors.js'
import type { Answer, C1Request, C2ResponseHead, Exchange, FailedAttempt, Outcome } from '../exchange/hooks.js'
import type { Phases } from '../exchange/phases.js'
import { forEachC1Header } from '../exchange/response-headers.js'
import { toUwsBytes } from './byte-string.js'
import { describeThrown, guarded } from './guard.js'
import type { InFlight } from './in-flight.js'

export type { C1Request } from '../exchange/hooks.js'

/** C2 as its C1 sees it: what to stop when the client goes away, what to restart when it drains. */
export interface C1Peer {
  abort(): void
  resume(): void
}

/** uWS 20.30's cork buffer (LoopData::CORK_BUFFER_SIZE). */
const CORK_BUFFER_BYTES = 16 * 1024

/** Body bytes per corked chunked write: the cork buffer less the framing uWS adds (CRLF, hex size, CRLF). */
const CORKED_CHUNK_BYTES = CORK_BUFFER_BYTES - 16

/** Below this, the held head goes out in a cork of its own rather than with a sliver of body. */
const MIN_PIECE_BYTES = 1024

/** nginx's status for "the client closed the connection before the response was complete". */
const CLIENT_CLOSED = 499

/** What C1 needs of its proxy: where its lines go, the exchanges in flight. */
export interface C1Services {
  readonly logError: (line: string) => void
  readonly inFlight: InFlight<C1>
}

let lastId = 0

const EMPTY = Buffer.alloc(0)

export class C1 implements Exchange {
  readonly id = ++lastId
  /** its place among the exchanges in flight (kept by InFlight) */
  inFlightSlot = -1
  /** the backend of the current attempt; undefined until one is picked */
  backend: Backend | undefined
  /** the prefix of the route the request matched; undefined until routed */
  route: string | undefined
  /** request body bytes read from the client */
  bytesIn = 0
  /** the request body as C2 reads it, made once when first wanted (null: the request has none) */
  body: Readable | null | undefined
  /** the backend exchange this response is fed by; set when C2 opens */
  c2: C1Peer | undefined
  /** the backend answered (its status and headers reached C1): C2 is no longer retried */
  responseStarted = false
  /** the response ended or the connection closed: `res` must not be touched again */
  done = false
  private status = 0
  private message: string | undefined
  /** the backend's headers, held until the first body bytes go out with them in one cork */
  private heldHeaders: IncomingHttpHeaders | undefined
  /** bytes of the head went to the client: from now on a failure can only close the connection */
  private headSent = false
  private bytes = 0
  /** the backend's Content-Length, or -1 for a chunked response */
  private total = -1
  /** the part of a chunk that tryEnd could not write yet, and the write offset it started at */
  private pending: Buffer | undefined
  private pendingOffset = 0
  private writableHooked = false
  /**
   * Shutdown is draining: a streamed response says Connection: close in its head, so the client
   * sends nothing more on this connection (uWS writes that header itself only when a response
   * ends in one call; at the end of a stream it would land in the body).
   */
  private closeAfter = false
  /** the attempts that failed before the current one, for the end phase */
  private readonly retried: FailedAttempt[] = []
  /** performance.now() when the current attempt began */
  private attemptStartedAt: number
  /** some hook transforms the body of this response */
  private transformsBody = false
  /** a body hook's promise is under way: what C2 delivers meanwhile, in order */
  private bodyQueue: { chunk: Buffer; last: boolean }[] | undefined
  private outcome: Outcome = 'complete'
  private readonly logError: (line: string) => void
  private readonly inFlight: InFlight<C1>

  constructor(
    readonly res: HttpResponse,
    readonly request: C1Request,
    /** the scheme C1 was reached by */
    readonly proto: 'http' | 'https',
    /** the phases of the configuration this exchange started under */
    readonly phases: Phases,
    services: C1Services,
  ) {
    this.logError = services.logError
    this.inFlight = services.inFlight
    // You MUST register onAborted before returning from the handler (uWS docs)
    res.onAborted(this.guard(() => this.onClientGone()))
    this.inFlight.add(this)
    this.attemptStartedAt = request.startedAt
  }

  /** C2 begins an attempt on `backend`. */
  attempting(backend: Backend): void {
    this.backend = backend
    this.attemptStartedAt = performance.now()
  }

  /**
   * Takes the backend's status and headers. uWS sends no head before the first body byte,
   * so the head is held and written in the same cork as that byte: one send, not two.
   * HEAD, 204, 304 and empty bodies end here.
   */
  writeHead(backendStatus: number, backendMessage: string | undefined, backendHeaders: IncomingHttpHeaders): void {
    if (this.done) return
    this.responseStarted = true
    const head: C2ResponseHead = { status: backendStatus, statusText: backendMessage, headers: backendHeaders }
    try {
      this.phases.c2ResponseHead(this, head)
    } catch (err) {
      return this.failPhase(err as Error)
    }
    const { status, headers } = head
    this.status = status
    this.message = head.statusText
    this.heldHeaders = headers
    this.transformsBody = this.phases.transformsBody
    const res = this.res
    const length = headers['content-length']
    const bodiless = this.request.method === 'HEAD' || status === 204 || status === 304
    this.closeAfter = this.inFlight.draining && !bodiless && length !== '0'
    if (bodiless) {
      res.cork(() => {
        this.writeHeldHead()
        // endWithoutBody(n) would close the connection (uWS 20.30): write the length ourselves
        if (length !== undefined && status !== 204 && status !== 304) res.writeHeader('content-length', length)
        // endWithoutBody(undefined, false) closes too: pass arguments only to close
        if (this.inFlight.draining) res.endWithoutBody(undefined, true)
        else res.endWithoutBody()
      })
      this.finish(status)
    } else if (length === '0') {
      res.cork(() => {
        this.writeHeldHead()
        res.end(undefined, this.inFlight.draining)
      })
      this.finish(status)
    } else if (length !== undefined) {
      this.total = Number(length)
    } else if (isEventStream(headers) && headers['content-encoding'] === undefined) {
      // (an encoded stream cannot take plain bytes: its head goes out with the first event)
      // uWS cannot flush a head alone (uWebSockets#1895); an SSE comment line is ignored
      // by every EventSource and lets the client see the head now, not at the first event.
      res.cork(() => {
        this.writeHeldHead()
        res.write(':\n')
      })
    }
  }

  /** Writes one backend chunk; false means C2 must pause until C1 drains (C1 resumes it). */
  writeChunk(chunk: Buffer): boolean {
    if (this.done) return true
    if (!this.transformsBody) return this.writeBody(chunk)
    return this.transformBody(chunk, false)
  }

  /**
   * Runs the body phase on `chunk` and writes what it gives; false: C2 must pause (C1 resumes it).
   * While a hook's promise is under way, what comes next (a chunk parsed from the same read, the
   * end) waits in `bodyQueue`, so the order holds.
   */
  private transformBody(chunk: Buffer, last: boolean): boolean {
    if (this.bodyQueue) {
      this.bodyQueue.push({ chunk, last })
      return false
    }
    let out
    try {
      out = this.phases.c2ResponseBody(this, chunk, last)
    } catch (err) {
      this.failPhase(err as Error)
      return true
    }
    if (!(out instanceof Promise)) return this.writeTransformed(out, last)
    this.bodyQueue = []
    out.then(this.guard((settled: Buffer | undefined) => this.transformed(settled, last)), this.guard((err: Error) => {
      this.bodyQueue = undefined
      this.failPhase(err)
    }))
    return false
  }

  /** A body hook's promise settled: write what it gave, then what waited behind it; resume C2 if C1 can take more. */
  private transformed(out: Buffer | undefined, last: boolean): void {
    const queue = this.bodyQueue as { chunk: Buffer; last: boolean }[]
    this.bodyQueue = undefined
    if (this.done) return
    let ok = this.writeTransformed(out, last)
    for (const next of queue) {
      if (this.done) return
      // a later chunk's hook may wait again: the rest queue behind it
      if (this.bodyQueue) (this.bodyQueue as { chunk: Buffer; last: boolean }[]).push(next)
      else ok = this.transformBody(next.chunk, next.last) && ok
    }
    if (ok && !this.bodyQueue && !this.done) this.c2?.resume()
  }

  /** Writes what the body phase gave; after the last, ends the response. */
  private writeTransformed(out: Buffer | undefined, last: boolean): boolean {
    if (!last) return out?.length ? this.writeBody(out) : true
    if (out?.length) this.writeBody(out)
    if (!this.done) this.endBody()
    return true
  }

  private writeBody(chunk: Buffer): boolean {
    this.bytes += chunk.length
    if (this.total >= 0 && this.bytes > this.total) {
      // a body phase changed the length but left Content-Length: the response would lie
      this.logError(`${this.request.method} ${this.request.url}: a body hook wrote more than the Content-Length it kept; connection closed`)
      this.outcome = 'internal-error'
      this.close()
      return true
    }
    let ok = true
    if (this.total < 0) ok = this.writeChunked(chunk)
    else {
      this.res.cork(() => {
        if (this.heldHeaders) this.writeHeldHead()
        ok = this.tryEnd(chunk)
      })
    }
    if (!ok) this.hookWritable()
    return ok
  }

  /** The backend finished the body. */
  end(): void {
    if (this.done) return
    if (this.transformsBody) {
      this.transformsBody = false
      this.transformBody(EMPTY, true)
      return
    }
    this.endBody()
  }

  private endBody(): void {
    if (this.pending) return
    // tryEnd completes a known length by itself: ending short of it must never look complete
    if (this.total >= 0) return this.close()
    this.res.cork(() => {
      if (this.heldHeaders) this.writeHeldHead()
      this.res.end()
    })
    this.finish(this.status)
  }

  /** C2 failed: answer 502/504 while nothing was sent, else close so the client sees a broken response. */
  fail(err: Error): void {
    if (this.done) return
    const { method, url } = this.request
    this.logError(`${method} ${url} -> ${this.backend?.url ?? '-'}: ${describeError(err)}`)
    const status = gatewayStatus(err)
    this.outcome = status === 504 ? 'timeout' : (err as { code?: unknown }).code === 'UPROXY_HOOK' ? 'internal-error' : 'backend-error'
    if (this.headSent) return this.close()
    const page = gatewayPage(status)
    this.bytes = Buffer.byteLength(page)
    this.res.cork(() => void this.res.writeStatus(statusLine(status)).writeHeader('content-type', 'text/plain').end(page, this.inFlight.draining))
    this.finish(status)
  }

  /** A hook threw while C2 was running: answer or cut C1 as for a C2 failure, and stop C2. */
  private failPhase(err: Error): void {
    this.fail(err)
    this.c2?.abort()
  }

  /**
   * C2 failed on `backend` before any byte reached the client and sends the request to `next`
   * (whose C2 calls `attempting`): one stderr line now, and the failed attempt in the end phase.
   */
  retrying(next: Backend, err: Error): void {
    const { method, url } = this.request
    const failed = this.backend as Backend
    this.logError(`${method} ${url} -> ${failed.url}: ${describeError(err)}; retrying on ${next.url}`)
    this.retried.push({ backend: failed, code: errorCode(err) || 'failed', ms: performance.now() - this.attemptStartedAt })
  }

  /**
   * Answers in the request phase, without a backend: a refused request, or a hook's answer. One
   * that closes the connection is written on the next turn: uWS drops the connection instead of
   * serving a pipelined request while this one is pending, so bytes smuggled behind a bad head
   * are never parsed as a request.
   */
  answer(answer: Answer): void {
    if (answer.stored) return this.writeStored(answer)
    if (answer.reason) this.logError(`${this.request.method} ${this.request.url}: refused, ${answer.reason}`)
    this.outcome = 'refused'
    if (!answer.close) return this.writeAnswer(answer)
    setImmediate(this.guard(() => this.writeAnswer(answer)))
  }

  private writeAnswer({ status, headers, body, close }: Answer): void {
    if (this.done) return
    const line = statusLine(status)
    const text = body ?? `${line}\n`
    this.bytes = Buffer.byteLength(text)
    this.res.cork(() => {
      this.res.writeStatus(line)
      if (headers) forEachC1Header(headers, (name, value) => void this.res.writeHeader(name, value))
      this.res.end(text, close === true || this.inFlight.draining)
    })
    this.finish(status)
  }

  /** A stored response (a cache hit): through the response phases as a backend's would go, with backpressure. */
  private writeStored({ status, headers, body }: Answer): void {
    this.writeHead(status, undefined, { ...headers })
    if (this.done) return
    if (body?.length) this.writeChunk(typeof body === 'string' ? Buffer.from(body) : body)
    this.end()
  }

  /**
   * The backend accepted a WebSocket and C1 is about to become one (uWS res.upgrade): log the
   * exchange as 101 and never touch `res` again; the tunnel owns the connection from now on.
   */
  upgraded(): void {
    this.outcome = 'upgraded'
    if (!this.done) this.finish(101)
  }

  /**
   * `fn` as a callback for uWS, a timer or a backend event: should it throw (a bug), this
   * exchange ends — 500 if nothing was sent, else the connection closes — and one stderr line
   * says why; the proxy keeps serving. `fallback` is what the callback returns then.
   */
  guard<A extends unknown[], R>(fn: (...args: A) => R, fallback?: R): (...args: A) => R {
    return guarded(fn, (err) => {
      this.crashed(err)
      return fallback as R
    })
  }

  private crashed(err: unknown): void {
    const { method, url } = this.request
    this.logError(`${method} ${url}: internal error, ${describeThrown(err)}`)
    if (this.done) return
    this.outcome = 'internal-error'
    const sent = this.headSent
    this.finish(sent ? this.status || CLIENT_CLOSED : 500)
    this.c2?.abort()
    try {
      if (sent) this.res.close()
      else this.res.cork(() => void this.res.writeStatus(statusLine(500)).end(`${statusLine(500)}\n`, true))
    } catch {
      // the response was already gone: uWS refuses every call on it, and there is nothing left to tell the client
    }
  }

  /** Closes the client connection at once (uWS then runs onAborted, which is a no-op by now). */
  close(): void {
    if (this.done) return
    this.finish(this.status || CLIENT_CLOSED)
    this.c2?.abort()
    this.res.close()
  }

  private writeHeldHead(): void {
    const res = this.res
    const status = this.status
    // the reason phrase is a byte string, as C2 parsed it: written as those bytes
    res.writeStatus(toUwsBytes(statusLine(status, this.message)))
    if (this.closeAfter) res.writeHeader('connection', 'close')
    forEachC1Header(this.heldHeaders as IncomingHttpHeaders, (name, value) => void res.writeHeader(name, toUwsBytes(value)))
    this.heldHeaders = undefined
    this.headSent = true
  }

  /**
   * A chunk of a response without Content-Length, in corked writes that each fit uWS's cork
   * buffer: uWS 20.30 loses a `write` that overflows that buffer while the socket cannot take
   * what was corked before it (AsyncSocket::uncork, fixed upstream in 2026), which cut chunked
   * responses to slow clients. tryEnd's writes are optional and are retried, so they are safe.
   */
  private writeChunked(chunk: Buffer): boolean {
    const res = this.res
    let ok = true
    let room = CORKED_CHUNK_BYTES
    if (this.heldHeaders) {
      room -= headBytes(this.heldHeaders)
      if (room < MIN_PIECE_BYTES) {
        res.cork(() => this.writeHeldHead())
        room = CORKED_CHUNK_BYTES
      }
    }
    for (let at = 0; at < chunk.length; room = CORKED_CHUNK_BYTES) {
      const piece = chunk.subarray(at, at + room)
      at += piece.length
      res.cork(() => {
        if (this.heldHeaders) this.writeHeldHead()
        // once uWS buffers (false), the rest goes to its per-socket buffer, never lost
        ok = res.write(piece) && ok
      })
    }
    return ok
  }

  private tryEnd(chunk: Buffer): boolean {
    const offset = this.res.getWriteOffset()
    const [ok, done] = this.res.tryEnd(chunk, this.total)
    if (done) this.completed()
    else if (!ok) {
      this.pending = chunk
      this.pendingOffset = offset
    }
    return ok || done
  }

  /**
   * tryEnd wrote the last byte of the known length: the body hooks hear the end now (C2's end
   * will find the exchange done), though nothing more can be written.
   */
  private completed(): void {
    if (this.transformsBody) {
      this.transformsBody = false
      try {
        const tail = this.phases.c2ResponseBody(this, EMPTY, true)
        if (tail instanceof Promise) tail.catch((err: Error) => this.logError(`${this.request.method} ${this.request.url}: ${err.message}`))
      } catch (err) {
        this.logError(`${this.request.method} ${this.request.url}: ${(err as Error).message}`)
      }
    }
    this.finish(this.status)
  }

  private hookWritable(): void {
    if (this.writableHooked) return
    this.writableHooked = true
    this.res.onWritable(this.guard((offset: number) => {
      if (this.pending) {
        // retry from where the client's socket stopped taking bytes (uWS VideoStreamer.js)
        const [ok, done] = this.res.tryEnd(this.pending.subarray(offset - this.pendingOffset), this.total)
        if (done) this.completed()
        else if (!ok) return false
        this.pending = undefined
      }
      this.c2?.resume()
      return true
    }, true))
  }

  private onClientGone(): void {
    if (this.done) return
    this.outcome = 'client-gone'
    this.finish(CLIENT_CLOSED)
    this.c2?.abort()
  }

  private finish(status: number): void {
    this.done = true
    this.inFlight.delete(this)
    const now = performance.now()
    this.phases.end(this, {
      outcome: this.outcome,
      status,
      bytes: this.bytes,
      bytesIn: this.bytesIn,
      ms: now - this.request.startedAt,
      backendMs: this.backend ? now - this.attemptStartedAt : 0,
      retried: this.retried,
    }, this.logError)
  }
}

/** uWS writes the status text as given: '502 Bad Gateway', the backend's reason phrase when it sent one. */
function statusLine(status: number, message?: string): string {
  return `${status} ${message || STATUS_CODES[status] || 'Unknown'}`
}

/** The head's size as uWS writes it, about: status line, headers, its own mark and framing. */
function headBytes(headers: IncomingHttpHeaders): number {
  let bytes = 128
  for (const name in headers) {
    const value = headers[name]
    if (typeof value === 'string') bytes += name.length + value.length + 4
    else if (value !== undefined) for (const each of value) bytes += name.length + each.length + 4
  }
  return bytes
}

function isEventStream(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type']
  return typeof type === 'string' && type.toLowerCase().startsWith('text/event-stream')
}
