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
