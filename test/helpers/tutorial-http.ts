// Loopback origins that record what they received, and a plain client that returns what curl -i shows.
import http from 'node:http'
import https from 'node:https'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  rawHeaders: string[]
  body: Buffer
}

export interface Origin {
  /** 'http://127.0.0.1:PORT' (https when started with TLS) */
  url: string
  /** 'host:port' as the origin's Host header should read */
  host: string
  /** every request received, in order, once its body has been read */
  seen: SeenRequest[]
  server: http.Server
}

export type OriginHandler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void

/**
 * Starts a node:http (or https, given `tls`) origin on 127.0.0.1 and a free port. It reads each
 * request body whole, records it in `seen`, then calls `handler` (default: 200 "origin server response").
 * The test's teardown closes it and its connections.
 */
export async function startOrigin(t: Test, handler?: OriginHandler,
  tls?: { cert: Buffer, key: Buffer }): Promise<Origin> {
  const seen: SeenRequest[] = []
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const s: SeenRequest = {
        method: req.method ?? '', url: req.url ?? '', headers: req.headers,
        rawHeaders: req.rawHeaders, body: Buffer.concat(chunks),
      }
      seen.push(s)
      if (handler) return handler(req, res, s)
      res.writeHead(200, { 'content-type': 'text/plain' }).end('origin server response\n')
    })
  }
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, seen, server }
}

export interface Answer {
  status: number
  statusText: string
  headers: http.IncomingHttpHeaders
  /** names and values as sent, in order, names lowercased */
  rawHeaders: [string, string][]
  body: string
}

/** Sends one request on a fresh connection (like curl) and reads the whole answer; fails after 10 s. */
export async function send(url: string, options: { method?: string, headers?: Record<string, string>,
  body?: string | Buffer } = {}): Promise<Answer> {
  const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false })
  req.setTimeout(10_000, () => req.destroy(new Error(`no complete answer from ${url} within 10 s`)))
  req.end(options.body)
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  req.on('error', () => {}) // answered before the upload was over: the rest of it may hit a closed socket
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const raw: [string, string][] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2) raw.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: res.headers,
    rawHeaders: raw,
    body: Buffer.concat(chunks).toString(),
  }
}

export interface OpenResponse {
  res: http.IncomingMessage
  /** resolves with the first body chunk */
  firstChunk: Promise<string>
  /** resolves with the whole body; rejects if the connection breaks first */
  body: Promise<string>
  /** destroys the client's socket, as a client that goes away does */
  destroy(): void
}

/** Starts a GET and resolves once the head has arrived, leaving the body to be watched. */
export async function open(url: string): Promise<OpenResponse> {
  const req = http.get(url, { agent: false })
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  res.setEncoding('utf8')
  const firstChunk = once(res, 'data').then(([c]) => c as string)
  const body = (async () => {
    let body = ''
    for await (const c of res) body += c as string
    return body
  })()
  body.catch(() => {}) // some tests expect it to fail and never look
  return { res, firstChunk, body, destroy: () => req.destroy() }
}

/**
 * Writes `head` (CRLF line ends are added) as a raw request on a fresh socket and reads one answer,
 * framed by Content-Length or chunked encoding. For heads node:http would refuse to send.
 */
export async function sendRaw(url: string, head: string[]): Promise<Answer> {
  const { connect } = await import('node:net')
  const { hostname, port } = new URL(url)
  const socket = connect(Number(port), hostname)
  socket.setTimeout(10_000, () => socket.destroy(new Error(`no complete answer from ${url} within 10 s`)))
  // write, not end: uWS treats a half-closed client as gone and aborts the exchange
  socket.write(head.join('\r\n') + '\r\n\r\n')
  let text = ''
  for await (const c of socket) {
    text += (c as Buffer).toString('latin1')
    const split = text.indexOf('\r\n\r\n')
    if (split < 0) continue
    const top = text.slice(0, split)
    const rest = text.slice(split + 4)
    const length = /\r\ncontent-length: *(\d+)/i.exec(top)
    const complete = length ? rest.length >= Number(length[1]) : /\r\n0\r\n\r\n$/.test('\r\n' + rest)
    if (complete) break
  }
  socket.destroy()
  const split = text.indexOf('\r\n\r\n')
  const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n')
  const rest = text.slice(split + 4)
  const raw = lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string])
  const m = /^HTTP\/1\.1 (\d+) ?(.*)$/.exec(statusLine)
  const chunked = raw.some(([n, v]) => n === 'transfer-encoding' && v === 'chunked')
  return {
    status: Number(m?.[1] ?? 0),
    statusText: m?.[2] ?? '',
    headers: Object.fromEntries(raw),
    rawHeaders: raw,
    body: chunked ? dechunk(rest) : rest,
  }
}

/** Decodes a chunked body (enough for these tests: no chunk extensions, no trailers). */
function dechunk(s: string): string {
  let out = ''
  for (let i = 0; ;) {
    const eol = s.indexOf('\r\n', i)
    const size = parseInt(s.slice(i, eol), 16)
    if (!size) return out
    out += s.slice(eol + 2, eol + 2 + size)
    i = eol + 2 + size + 2
  }
}
