// Opens the TCP or TLS socket to a backend origin, bounded by a connect timeout, with TLS session reuse.
import net from 'node:net'
import tls from 'node:tls'
import { C2Error, C2_CODES } from './c2-errors.js'

/** Where and how to connect: one per pool, shared by its connections. */
export interface SocketTarget {
  readonly host: string
  readonly port: number
  readonly tls: boolean
  readonly connectTimeoutMs: number
  /** extra CAs (with the system roots) for https:// backends; undefined: Node's defaults and NODE_EXTRA_CA_CERTS */
  readonly ca: readonly (string | Buffer)[] | undefined
  /** verify the backend's certificate (off only with --insecure) */
  readonly rejectUnauthorized: boolean
  /** the last TLS session the backend gave, offered again to skip a full handshake */
  session: Buffer | undefined
}

/** The parts of an origin URL a socket needs: host without IPv6 brackets, port with the scheme's default. */
export function socketTarget(origin: string, options: Omit<SocketTarget, 'host' | 'port' | 'tls' | 'session'>): SocketTarget {
  const url = new URL(origin)
  const secure = url.protocol === 'https:'
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port) || (secure ? 443 : 80),
    tls: secure,
    session: undefined,
    ...options,
  }
}

/**
 * Connects; `done` gets the connected socket, or the error (UPROXY_C2_CONNECT_TIMEOUT when the
 * timeout passed, else the socket's own: ECONNREFUSED, a TLS verification code, …). The socket
 * is destroyed on error and `done` is called once.
 */
export function connectSocket(target: SocketTarget, done: (err: Error | undefined, socket: net.Socket) => void): net.Socket {
  const socket = target.tls
    ? tls.connect({
      host: target.host,
      port: target.port,
      // SNI carries a host name only (RFC 6066 §3): never an IP address
      ...(net.isIP(target.host) ? {} : { servername: target.host }),
      ...(target.ca ? { ca: [...target.ca] } : {}),
      rejectUnauthorized: target.rejectUnauthorized,
      ...(target.session ? { session: target.session } : {}),
      ALPNProtocols: ['http/1.1'],
    })
    : net.connect({ host: target.host, port: target.port })
  if (target.tls) socket.on('session', (session: Buffer) => (target.session = session))
  let settled = false
  const finish = (err: Error | undefined) => {
    if (settled) return
    settled = true
    clearTimeout(timer)
    socket.off('error', finish)
    if (err) socket.destroy()
    done(err, socket)
  }
  const timer = setTimeout(() => finish(new C2Error(C2_CODES.connectTimeout,
    `no connection to ${target.host}:${target.port} within ${target.connectTimeoutMs} ms`)), target.connectTimeoutMs)
  socket.once(target.tls ? 'secureConnect' : 'connect', () => {
    socket.off('close', onClose)
    finish(undefined)
  })
  socket.on('error', finish)
  // destroyed by its owner while connecting (the client left): no 'error' comes, only the close
  const onClose = () => finish(new C2Error(C2_CODES.closed, `the connection to ${target.host}:${target.port} closed while connecting`))
  socket.once('close', onClose)
  socket.setNoDelay(true)
  return socket
}
