// The raw TCP client of the tests, for where a client library would hide the framing: send bytes, read what comes back.
import net from 'node:net'
import type { Test } from 'tap'

/** An open raw connection and everything it has received. */
export interface RawSocket {
  socket: net.Socket
  /** every byte received so far */
  received(): Buffer
  /** the bytes received that no readResponse() has taken yet */
  unread(): Buffer
  /** true once the peer closed the connection (or it was reset) */
  closed(): boolean
  /** resolves when the bytes received so far, as latin1, match `pattern`; fails after `ms` */
  waitForText(pattern: RegExp, ms?: number): Promise<string>
  /** resolves when the connection closes; fails after `ms` */
  waitForClose(ms?: number): Promise<void>
  /**
   * Resolves with the next whole response after those read before, framed as a client frames
   * it (RFC 9112 §6.3): no body after 1xx, 204, 304 or when `bodyless` (the answer to a HEAD),
   * else by chunked coding, Content-Length, or the close. Fails after `ms` or at an early close.
   */
  readResponse(options?: { bodyless?: boolean; ms?: number }): Promise<RawResponse>
}

/** One response as it came over the wire. */
export interface RawResponse {
  /** all its bytes as latin1: head, blank line, body as framed (chunk sizes included) */
  text: string
  status: number
  statusText: string
  /** names lowercased → value; the last wins when a name repeats */
  headers: Record<string, string>
  /** names lowercased and values, in order */
  rawHeaders: [string, string][]
  /** the body as latin1, chunked coding removed */
  body: string
}

/** What rawExchange saw. */
export interface RawReply {
  /** every byte the server sent, as latin1 text */
  text: string
  /** true when the server closed the connection within the wait */
  closed: boolean
}

/** Connects to host:port, writes `bytes`, and keeps everything that comes back; destroyed at teardown. */
export async function openRaw(t: Test, port: number, bytes?: string | Buffer, host = '127.0.0.1'): Promise<RawSocket> {
  const raw = await connectRaw(port, host)
  t.teardown(() => raw.socket.destroy())
  if (bytes !== undefined) raw.socket.write(bytes)
  return raw
}

/**
 * Sends `bytes` to host:port on a fresh connection and collects the reply until the server
 * closes the connection or `ms` pass, whichever is first; then destroys the connection.
 */
export async function rawExchange(port: number, bytes: string | Buffer, ms = 2000, host = '127.0.0.1'): Promise<RawReply> {
  const raw = await connectRaw(port, host)
  raw.socket.write(bytes)
  await raw.waitForClose(ms).catch(() => undefined)
  const reply = { text: raw.received().toString('latin1'), closed: raw.closed() }
  raw.socket.destroy()
  return reply
}

async function connectRaw(port: number, host: string): Promise<RawSocket> {
  const socket = net.connect(port, host)
  const chunks: Buffer[] = []
  let isClosed = false
  /** how many received bytes readResponse() has taken */
  let readUpTo = 0
  const listeners = new Set<() => void>()
  const notify = () => listeners.forEach((listener) => listener())
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    notify()
  })
  socket.on('close', () => {
    isClosed = true
    notify()
  })
  // a reset is one way a broken response shows; the close that follows is what tests look at
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  const received = () => Buffer.concat(chunks)
  const text = () => received().toString('latin1')
  const waitUntil = (check: () => boolean, what: () => string, ms: number) => new Promise<void>((resolve, reject) => {
    const test = () => {
      if (!check()) return
      clearTimeout(timer)
      listeners.delete(test)
      resolve()
    }
    const timer = setTimeout(() => {
      listeners.delete(test)
      reject(new Error(`timed out after ${ms} ms waiting for ${what()}`))
    }, ms)
    listeners.add(test)
    test()
  })
  return {
    socket,
    received,
    unread: () => received().subarray(readUpTo),
    closed: () => isClosed,
    async waitForText(pattern, ms = 3000) {
      const got = () => `${pattern} in what arrived; got ${JSON.stringify(text().slice(0, 300))}`
      await waitUntil(() => pattern.test(text()) || isClosed, got, ms)
      if (!pattern.test(text())) throw new Error(`the connection closed before ${got()}`)
      return text()
    },
    waitForClose: (ms = 3000) => waitUntil(() => isClosed, () => 'the connection to close', ms),
    async readResponse({ bodyless = false, ms = 3000 } = {}) {
      const next = () => frameResponse(received().subarray(readUpTo), bodyless, isClosed)
      const got = () => `a whole response; got ${JSON.stringify(received().subarray(readUpTo).toString('latin1').slice(0, 300))}`
      await waitUntil(() => next() !== undefined || isClosed, got, ms)
      const framed = next()
      if (!framed) throw new Error(`the connection closed before ${got()}`)
      readUpTo += framed.length
      return framed.response
    },
  }
}

/** The first response in `bytes` and its length in bytes, or undefined while it is incomplete. */
function frameResponse(bytes: Buffer, bodyless: boolean, closed: boolean): { response: RawResponse; length: number } | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n')
  if (headEnd < 0) return undefined
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n')
  const rawHeaders = lines.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string]
  })
  const headers = Object.fromEntries(rawHeaders)
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine)
  const status = Number(match?.[1] ?? 0)
  const start = headEnd + 4
  let body: { text: string; end: number } | undefined
  if (bodyless || (status >= 100 && status < 200) || status === 204 || status === 304) body = { text: '', end: start }
  else if (/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(bytes, start)
  else if (headers['content-length'] !== undefined) {
    const end = start + Number(headers['content-length'])
    body = bytes.length >= end ? { text: bytes.subarray(start, end).toString('latin1'), end } : undefined
  } else if (closed) body = { text: bytes.subarray(start).toString('latin1'), end: bytes.length }
  if (!body) return undefined
  return {
    response: { text: bytes.subarray(0, body.end).toString('latin1'), status, statusText: match?.[2] ?? '', headers, rawHeaders, body: body.text },
    length: body.end,
  }
}

/** A chunked body starting at `start` (RFC 9112 §7.1): its decoded text and where it ends, or undefined while incomplete. */
function dechunk(bytes: Buffer, start: number): { text: string; end: number } | undefined {
  const parts: Buffer[] = []
  for (let at = start; ;) {
    const eol = bytes.indexOf('\r\n', at)
    if (eol < 0) return undefined
    const size = parseInt(bytes.subarray(at, eol).toString('latin1'), 16)
    // not a chunk size: never whole, so the wait fails showing the bytes
    if (Number.isNaN(size)) return undefined
    if (size === 0) {
      // trailer fields, if any, then the blank line
      for (let line = eol + 2; ;) {
        const end = bytes.indexOf('\r\n', line)
        if (end < 0) return undefined
        if (end === line) return { text: Buffer.concat(parts).toString('latin1'), end: end + 2 }
        line = end + 2
      }
    }
    if (bytes.length < eol + 2 + size + 2) return undefined
    parts.push(bytes.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}
