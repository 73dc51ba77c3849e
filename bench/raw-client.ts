// The load generator's HTTP/1.1 client: one keep-alive socket, one request at a time, a minimal response parser.
//
// Why not undici: at 32–256 connections undici's per-request JS costs the load generator about as much
// CPU as the proxy under test, on the same two cores. This client writes a prebuilt request head and
// parses only what it needs (status, Content-Length or chunked framing), so more of the CPU goes to the
// parties being measured. verify.ts checks bodies with undici, independently of this parser.
import net from 'node:net'

export interface RawResponse {
  status: number
  /** Body bytes received (after de-chunking). */
  bodyBytes: number
  /** The body itself, only when the request asked to keep it. */
  body: Buffer | null
}

const enum State { Idle, Head, Length, ChunkSize, ChunkData, ChunkCrlf, Trailer }

const CRLFCRLF = Buffer.from('\r\n\r\n')

/** Build the request head once per workload; it is written unchanged for every request. */
export function requestHead (method: string, path: string, host: string, bodyLength: number | null,
  headers: Record<string, string> = {}): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nhost: ${host}\r\n`
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
  if (bodyLength !== null) head += `content-type: application/octet-stream\r\ncontent-length: ${bodyLength}\r\n`
  return Buffer.from(head + '\r\n', 'latin1')
}

export class RawConnection {
  readonly socket: net.Socket
  #state = State.Idle
  #pending: Buffer | null = null
  #remaining = 0
  #status = 0
  #bodyBytes = 0
  #keep: Buffer[] | null = null
  #resolve: ((r: RawResponse) => void) | null = null
  #reject: ((e: Error) => void) | null = null

  private constructor (socket: net.Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('error', (err) => this.#fail(err))
    socket.on('close', () => this.#fail(new Error('connection closed by the server')))
  }

  static open (port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host })
      socket.once('connect', () => { socket.off('error', reject); resolve(new RawConnection(socket)) })
      socket.once('error', reject)
    })
  }

  /** Send one request (head, then body if any) and resolve with the response once it is complete. */
  request (head: Buffer, body: Buffer | null, keepBody: boolean): Promise<RawResponse> {
    if (this.#state !== State.Idle) return Promise.reject(new Error('request already in flight'))
    this.#state = State.Head
    this.#bodyBytes = 0
    this.#keep = keepBody ? [] : null
    return new Promise<RawResponse>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
      if (body === null) {
        this.socket.write(head)
      } else {
        this.socket.cork()
        this.socket.write(head)
        this.socket.write(body)
        this.socket.uncork()
      }
    })
  }

  close (): void {
    this.#resolve = null
    this.#reject = null
    this.socket.destroy()
  }

  #fail (err: Error): void {
    const reject = this.#reject
    this.#resolve = this.#reject = null
    this.#state = State.Idle
    if (reject !== null) reject(err)
  }

  #finish (): void {
    const resolve = this.#resolve
    const keep = this.#keep
    this.#resolve = this.#reject = null
    this.#state = State.Idle
    this.#keep = null
    if (resolve !== null) {
      resolve({ status: this.#status, bodyBytes: this.#bodyBytes, body: keep === null ? null : Buffer.concat(keep) })
    }
  }

  #body (chunk: Buffer): void {
    this.#bodyBytes += chunk.length
    if (this.#keep !== null) this.#keep.push(Buffer.from(chunk))
  }

  #onData (chunk: Buffer): void {
    if (this.#pending !== null) {
      chunk = Buffer.concat([this.#pending, chunk])
      this.#pending = null
    }
    let pos = 0
    while (pos < chunk.length) {
      switch (this.#state) {
        case State.Idle:
          this.#fail(new Error('unexpected bytes from the server'))
          this.socket.destroy()
          return
        case State.Head: {
          const end = chunk.indexOf(CRLFCRLF, pos)
          if (end === -1) { this.#pending = chunk.subarray(pos); return }
          this.#parseHead(chunk.toString('latin1', pos, end + 2))
          pos = end + 4
          if ((this.#state as State) === State.Length && this.#remaining === 0) this.#finish()
          break
        }
        case State.Length: {
          const n = Math.min(this.#remaining, chunk.length - pos)
          this.#body(chunk.subarray(pos, pos + n))
          pos += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#finish()
          break
        }
        case State.ChunkSize: {
          const eol = chunk.indexOf(10, pos)
          if (eol === -1) { this.#pending = chunk.subarray(pos); return }
          const size = parseInt(chunk.toString('latin1', pos, eol), 16)
          pos = eol + 1
          if (Number.isNaN(size)) { this.#fail(new Error('bad chunk size')); this.socket.destroy(); return }
          this.#remaining = size
          this.#state = size === 0 ? State.Trailer : State.ChunkData
          break
        }
        case State.ChunkData: {
          const n = Math.min(this.#remaining, chunk.length - pos)
          this.#body(chunk.subarray(pos, pos + n))
          pos += n
          this.#remaining -= n
          if (this.#remaining === 0) this.#state = State.ChunkCrlf
          break
        }
        case State.ChunkCrlf: {
          const eol = chunk.indexOf(10, pos)
          if (eol === -1) { this.#pending = chunk.subarray(pos); return }
          pos = eol + 1
          this.#state = State.ChunkSize
          break
        }
        case State.Trailer: {
          // Trailer fields until an empty line; usually just the CRLF after the last chunk.
          const eol = chunk.indexOf(10, pos)
          if (eol === -1) { this.#pending = chunk.subarray(pos); return }
          const empty = eol === pos || (eol === pos + 1 && chunk[pos] === 13)
          pos = eol + 1
          if (empty) this.#finish()
          break
        }
      }
    }
  }

  #parseHead (head: string): void {
    this.#status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48)
    const lower = head.toLowerCase()
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
      this.#state = State.ChunkSize
      return
    }
    const at = lower.indexOf('\r\ncontent-length:')
    if (at === -1) {
      // No framing on a keep-alive response: only bodiless statuses are expected here.
      this.#remaining = 0
      this.#state = State.Length
      return
    }
    this.#remaining = parseInt(lower.slice(at + 17, lower.indexOf('\r\n', at + 17)).trim(), 10)
    this.#state = State.Length
  }
}
