// A real WebSocket backend for tests: a `ws` server on 127.0.0.1 that records its handshakes.
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { WebSocketServer, type WebSocket } from 'ws'

export interface WsBackend {
  /** http://127.0.0.1:PORT or https://localhost:PORT: the URL uproxy is given */
  url: string
  /** the handshake requests that reached the backend */
  handshakes: IncomingMessage[]
  /** the backend's side of each accepted connection */
  sockets: WebSocket[]
  server: WebSocketServer
}

export interface WsBackendOptions {
  tls?: { cert: Buffer; key: Buffer }
  /** picks the subprotocol (ws handleProtocols); default: none chosen */
  chooseProtocol?: (offered: Set<string>) => string | false
  /** refuse every handshake with this status and body */
  refuse?: { status: number; body: string }
  /** runs on each accepted connection; the default echoes every message with its type */
  onConnection?: (socket: WebSocket, req: IncomingMessage) => void
}

/** Echoes each message back with the same type (text or binary). */
export function echo(socket: WebSocket): void {
  socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }))
}

/** Starts a ws backend, closed at teardown. */
export async function startWsBackend(t: Test, opts: WsBackendOptions = {}): Promise<WsBackend> {
  const handshakes: IncomingMessage[] = []
  const sockets: WebSocket[] = []
  const server = opts.tls ? https.createServer({ ...opts.tls }) : http.createServer()
  const wss = new WebSocketServer({
    server,
    maxPayload: 256 * 1024 * 1024,
    ...(opts.chooseProtocol ? { handleProtocols: opts.chooseProtocol } : {}),
    verifyClient: (info, cb) => {
      handshakes.push(info.req)
      if (opts.refuse) cb(false, opts.refuse.status, opts.refuse.body)
      else cb(true)
    },
  })
  wss.on('connection', (socket, req) => {
    sockets.push(socket)
    ;(opts.onConnection ?? echo)(socket, req)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of wss.clients) socket.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `${opts.tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`, handshakes, sockets, server: wss }
}
