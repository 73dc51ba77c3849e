// Sends one case's bytes over a raw net socket with a deadline, and reads the responses that came back.
import net from 'node:net'
import { ORIGIN_MARK } from './recording-origin.js'
import { patternBytes, type RequestCase } from './request-case.js'

/** What the client saw. */
export interface Outcome {
  /** the responses, in order: status and the origin mark ('' for an answer made by the proxy) */
  responses: { status: number; origin: string }[]
  /** the proxy closed (or reset) the connection before the deadline */
  closedByPeer: boolean
  /** the deadline passed and the client destroyed the socket */
  timedOut: boolean
  /** the first bytes received (latin1), for reports */
  head: string
}

/** Bytes of pattern upload written per write call. */
const UPLOAD_SLICE = 64 * 1024
/** Bytes of response kept for parsing: the fuzz origin's answers are small. */
const KEEP_BYTES = 256 * 1024

/** How long past its deadline a case may wait for answers to requests the origin has received (a busy machine). */
const GRACE_MS = 5000

/**
 * Connects to 127.0.0.1:port, writes the case with backpressure, then leaves as the case says;
 * never rejects. At the deadline, `awaited` tells whether an answer is still due (the origin got
 * a request the responses so far do not answer): then it waits up to GRACE_MS longer.
 */
export function sendCase(port: number, c: RequestCase, awaited: (responses: Outcome['responses']) => boolean = () => false): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let kept = 0
    let closedByPeer = false
    let timedOut = false
    let finished = false
    const finish = () => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      socket.destroy()
      const bytes = Buffer.concat(chunks)
      resolve({ responses: readResponses(bytes), closedByPeer, timedOut, head: bytes.subarray(0, 300).toString('latin1') })
    }
    const startedAt = Date.now()
    const onDeadline = () => {
      if (Date.now() - startedAt < c.deadlineMs + GRACE_MS && awaited(readResponses(Buffer.concat(chunks)))) {
        timer = setTimeout(onDeadline, 100)
        return
      }
      timedOut = true
      finish()
    }
    let timer = setTimeout(onDeadline, c.deadlineMs)
    let written = false
    socket.on('data', (chunk: Buffer) => {
      if (kept < KEEP_BYTES) chunks.push(chunk)
      kept += chunk.length
      // an answer before the upload ended: done once the upload is out, not at the long deadline
      if (c.route === 'early' && written && readResponses(Buffer.concat(chunks)).length > 0) finish()
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      closedByPeer = !finished
      finish()
    })
    socket.on('connect', () => void writeParts(socket, c).then(() => {
      written = true
      if (socket.destroyed) return
      if (c.route === 'early' && readResponses(Buffer.concat(chunks)).length > 0) return finish()
      if (c.leave === 'destroy') finish()
      else if (c.leave === 'half-close') socket.end()
    }))
  })
}

async function writeParts(socket: net.Socket, c: RequestCase): Promise<void> {
  for (const part of c.parts) {
    if (typeof part !== 'number') {
      if (!socket.write(part) && !(await drained(socket))) return
      continue
    }
    for (let offset = 0; offset < part; offset += UPLOAD_SLICE) {
      if (socket.destroyed) return
      if (!socket.write(patternBytes(offset, Math.min(UPLOAD_SLICE, part - offset))) && !(await drained(socket))) return
    }
  }
}

/** Resolves true on 'drain', false when the socket closes first. */
function drained(socket: net.Socket): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false)
  return new Promise((resolve) => {
    const settle = (ok: boolean) => {
      socket.off('drain', onDrain)
      socket.off('close', onClose)
      resolve(ok)
    }
    const onDrain = () => settle(true)
    const onClose = () => settle(false)
    socket.on('drain', onDrain)
    socket.on('close', onClose)
  })
}

/**
 * The HTTP/1.1 responses at the start of `bytes`, read as far as they frame: status line,
 * headers, then a Content-Length or chunked body (1xx, 204 and 304 have none).
 */
export function readResponses(bytes: Buffer): Outcome['responses'] {
  const out: Outcome['responses'] = []
  const text = bytes.toString('latin1')
  let at = 0
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at)
    if (end < 0) break
    const lines = text.slice(at, end).split('\r\n')
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')
    if (!status) break
    const headers = new Map<string, string>()
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim())
    }
    const code = Number(status[1])
    out.push({ status: code, origin: headers.get(ORIGIN_MARK) ?? '' })
    at = end + 4
    if (code < 200 || code === 204 || code === 304) continue
    if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
      const next = skipChunked(text, at)
      if (next < 0) break
      at = next
    } else {
      at += Number(headers.get('content-length') ?? text.length)
    }
  }
  return out
}

/** The offset after a chunked body starting at `at`, or -1 when it does not end within `text`. */
function skipChunked(text: string, at: number): number {
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at)
    if (lineEnd < 0) return -1
    const size = parseInt(text.slice(at, lineEnd), 16)
    if (Number.isNaN(size)) return -1
    if (size === 0) {
      const end = text.indexOf('\r\n\r\n', lineEnd)
      return end < 0 ? -1 : end + 4
    }
    at = lineEnd + 2 + size + 2
  }
}
