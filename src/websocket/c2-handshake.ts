// C2 for an upgrade: the ws client's opening handshake with the backend, whose context is its C1.
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { us_socket_context_t } from 'uWebSockets.js'
import WebSocket from 'ws'
import type { C1, C1Peer } from '../c1/c1.js'
import type { ProxyConfig } from '../config/config.js'
import type { Closable } from '../c1/in-flight.js'
import type { Member } from '../balancing/member.js'
import { C2Error, C2_CODES } from '../c2/c2-errors.js'
import { isBackendFailure } from '../c2/failures.js'
import { describeError } from '../c2/gateway-errors.js'
import { MAX_MESSAGE, WebSocketTunnel, type TunnelData } from './tunnel.js'

/** The client's handshake headers that ws writes itself for its own handshake with the backend. */
const HANDSHAKE_HEADERS = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol', // passed to ws as its subprotocols
  'sec-websocket-extensions', // negotiated per hop; the backend hop offers none
  'sec-websocket-accept',
])


/** What C2 needs to open the backend WebSocket and then upgrade C1. */
export interface C2WebSocketRequest {
  /** ws:// or wss:// URL with the backend path and query */
  url: string
  /** flat [name, value, …] list from c2RequestHeaders */
  headers: string[]
  /** copied out of uWS's HttpRequest, which is gone by the time the backend answers */
  secWebSocketKey: string
  socketContext: us_socket_context_t
  /** the backend's member of its group: its load while the exchange lasts, its health by the handshake */
  member: Member
}

/**
 * Opens C2 as a WebSocket client. Only when the backend accepted is C1 upgraded, with the
 * backend's chosen subprotocol; a backend that refuses has its HTTP answer relayed to C1.
 */
export function openC2WebSocket(c1: C1, request: C2WebSocketRequest, config: ProxyConfig, tunnels: Set<Closable>,
  logError: (line: string) => void): void {
  c1.c2 = new C2WebSocket(c1, request, config, tunnels, logError)
}

class C2WebSocket implements C1Peer {
  private readonly ws: WebSocket
  private readonly timer: NodeJS.Timeout
  private refusal: IncomingMessage | undefined
  private released = false

  constructor(private readonly c1: C1, private readonly request: C2WebSocketRequest, config: ProxyConfig,
    private readonly tunnels: Set<Closable>, private readonly logError: (line: string) => void) {
    const { headers, protocols } = splitHeaders(request.headers)
    // a WebSocket is load on its backend as long as it lasts, as an HTTP exchange is
    request.member.load.inFlight++
    this.ws = new WebSocket(request.url, protocols, {
      headers,
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE,
      followRedirects: false,
      rejectUnauthorized: !config.insecure,
      ...(config.ca ? { ca: [...config.ca] } : {}),
    })
    this.timer = setTimeout(c1.guard(() => this.timedOut(config.timeoutMs)), config.timeoutMs)
    this.ws.on('open', c1.guard(() => this.upgradeC1()))
    this.ws.on('unexpected-response', c1.guard((req: ClientRequest, res: IncomingMessage) => this.relayRefusal(req, res)))
    this.ws.on('error', c1.guard((err: Error) => this.failed(err)))
  }

  /** C1 went away: cut the handshake or the relayed refusal. */
  abort(): void {
    clearTimeout(this.timer)
    this.ws.terminate()
    this.release()
  }

  /** C1 drained while relaying a refusal's body. */
  resume(): void {
    this.refusal?.resume()
  }

  private upgradeC1(): void {
    clearTimeout(this.timer)
    const c1 = this.c1
    if (c1.done) {
      this.ws.terminate()
      return this.release()
    }
    this.ws.removeAllListeners('error')
    this.request.member.health.recordSuccess()
    const tunnel = new WebSocketTunnel(this.ws, this.tunnels, this.logError, () => this.release())
    c1.upgraded()
    // from an async path, res.upgrade must run inside cork (uWS UpgradeAsync.js)
    c1.res.cork(() => {
      c1.res.upgrade<TunnelData>({ tunnel }, this.request.secWebSocketKey, this.ws.protocol, '', this.request.socketContext)
    })
  }

  private relayRefusal(req: ClientRequest, res: IncomingMessage): void {
    clearTimeout(this.timer)
    this.refusal = res
    // the backend answered, if not with a WebSocket: it is up
    this.request.member.health.recordSuccess()
    const c1 = this.c1
    c1.writeHead(res.statusCode ?? 502, res.statusMessage, res.headers)
    res.on('data', c1.guard((chunk: Buffer) => void (c1.writeChunk(chunk) || res.pause())))
    res.on('end', c1.guard(() => {
      c1.end()
      this.ws.terminate()
      this.release()
    }))
    res.on('error', c1.guard(() => {
      c1.close()
      this.release()
    }))
    req.on('error', c1.guard(() => {
      c1.close()
      this.release()
    }))
  }

  private failed(err: Error): void {
    clearTimeout(this.timer)
    if (this.refusal) return
    if (isBackendFailure(err)) this.request.member.health.recordFailure(describeError(err))
    this.c1.fail(err)
    this.release()
  }

  private timedOut(ms: number): void {
    if (this.refusal) return
    const err = new C2Error(C2_CODES.handshakeTimeout, `no WebSocket handshake answer within ${ms} ms`)
    this.request.member.health.recordFailure(describeError(err))
    this.c1.fail(err)
    this.ws.terminate()
    this.release()
  }

  /** The exchange is over for its backend: its load drops, once. */
  private release(): void {
    if (this.released) return
    this.released = true
    this.request.member.load.inFlight--
  }
}

/** The flat list as the headers object ws takes (repeated names as arrays), and the subprotocols. */
function splitHeaders(flat: string[]): { headers: Record<string, string | string[]>; protocols: string[] } {
  const headers: Record<string, string | string[]> = {}
  const protocols: string[] = []
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = flat[i + 1] as string
    if (name === 'sec-websocket-protocol') {
      for (const p of value.split(',')) if (p.trim()) protocols.push(p.trim())
    }
    if (HANDSHAKE_HEADERS.has(name)) continue
    const prior = headers[name]
    headers[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value]
  }
  return { headers, protocols }
}
