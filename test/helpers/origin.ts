// Real loopback origins for tests: http and https node servers that record what reached them.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Test } from 'tap'

/** One request as the origin received it. */
export interface Seen {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  rawHeaders: string[]
  body: Buffer
  servername: string | undefined
}

/** A running origin and what reached it. */
export interface Origin {
  /** http://127.0.0.1:PORT or https://localhost:PORT (another name if asked) */
  url: string
  /** HOST:PORT, as the Host header a proxy sends this origin should read */
  host: string
  port: number
  /** every request that reached this origin, body read whole unless the handler consumed it */
  seen: Seen[]
  /** sockets the origin has had, to watch for closes */
  sockets: Set<Socket>
  server: http.Server
}

/** Answers one request; `seen` is its record, its body read whole unless the origin streams. */
export type OriginHandler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void

/** Default handler: answers `origin server response` after reading the body. */
export const answerOk: OriginHandler = (_req, res) => res.end('origin server response')

/**
 * Starts an origin on 127.0.0.1, port 0, closed at teardown. The handler runs once the
 * body has been read whole into `seen.body`, unless `streaming` asks for it at once.
 */
export async function startOrigin(t: Test, handler: OriginHandler = answerOk,
  opts: { tls?: { cert: Buffer; key: Buffer }; streaming?: boolean; host?: string } = {}): Promise<Origin> {
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const record: Seen = {
      method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders,
      body: Buffer.alloc(0), servername: (req.socket as { servername?: string }).servername,
    }
    seen.push(record)
    if (opts.streaming) return handler(req, res, record)
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      record.body = Buffer.concat(chunks)
      handler(req, res, record)
    })
  }
  const server = opts.tls ? https.createServer({ ...opts.tls }, onRequest) : http.createServer(onRequest)
  server.on(opts.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const host = opts.host ?? (opts.tls ? 'localhost' : '127.0.0.1')
  return { url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`, host: `${host}:${port}`, port, seen, sockets, server }
}
