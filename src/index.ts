// The public API: startProxy() and its types.
import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js'
import { createLogs } from './access-log.js'
import { BackendPools } from './backend-pools.js'
import { createC1App } from './c1-server.js'
import type { C1 } from './c1-response.js'
import { toConfig, type ProxyOptions } from './config.js'
import { InFlight } from './in-flight.js'
import { loadNativeUws, type Uws } from './native-uws.js'

export { ConfigError } from './config-error.js'
export { NativeUwsMissing } from './native-uws.js'
export type { ProxyOptions, RouteOption } from './config.js'

/** A running proxy. */
export interface Proxy {
  /** where C1 listens, with the real port: 'http://127.0.0.1:41234' */
  readonly url: string
  readonly port: number
  /**
   * Stops accepting connections at once, lets in-flight exchanges finish for up to the
   * grace period, then closes every connection left (idle keep-alive ones included).
   */
  close(): Promise<void>
}

/** Thrown when C1 cannot listen: the port is in use or not permitted. */
export class ListenError extends Error {
  readonly code = 'UPROXY_LISTEN'
}

/**
 * Starts a proxy: C1 on `listen`, C2 to `backend` and `routes`.
 * Throws ConfigError for bad options, NativeUwsMissing without the native uWS binding,
 * ListenError when the address cannot be bound.
 */
export async function startProxy(options: ProxyOptions = {}): Promise<Proxy> {
  const config = toConfig(options)
  const uws = loadNativeUws()
  const logs = createLogs(config.quiet)
  if (config.insecure) logs.error('warning: certificate verification of https backends is OFF (--insecure)')
  const pools = new BackendPools(config)
  const inFlight = new InFlight<C1>()
  const app = createC1App(uws, { config, pools, logs, inFlight })
  let listenSocket: us_listen_socket
  try {
    listenSocket = await listen(app, config.listen.host, config.listen.port)
  } catch (err) {
    await pools.destroy()
    throw err
  }
  const port = uws.us_socket_local_port(listenSocket)
  let closing: Promise<void> | undefined
  return {
    url: `http://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port}`,
    port,
    close: () => (closing ??= shutdown(uws, app, listenSocket, inFlight, pools, logs, config.graceMs)),
  }
}

/** LIBUS_LISTEN_EXCLUSIVE_PORT: exported by uWS 20.30 but missing from its typings. */
const EXCLUSIVE_PORT = 1

/** Listens with an exclusive port: uWS otherwise sets SO_REUSEPORT and shares a port in use. */
function listen(app: TemplatedApp, host: string, port: number): Promise<us_listen_socket> {
  type ListenWithOptions = (host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void) => void
  return new Promise((resolve, reject) => {
    ;(app.listen as unknown as ListenWithOptions).call(app, host, port, EXCLUSIVE_PORT, (socket) => {
      if (socket) resolve(socket)
      else reject(new ListenError(`cannot listen on ${host}:${port}: the address is in use or not available`))
    })
  })
}

async function shutdown(uws: Uws, app: TemplatedApp, listenSocket: us_listen_socket, inFlight: InFlight<C1>,
  pools: BackendPools, logs: ReturnType<typeof createLogs>, graceMs: number): Promise<void> {
  uws.us_listen_socket_close(listenSocket)
  await inFlight.drain(graceMs)
  // uWS 20.30 has app.close() (closes every socket) but its typings lack it
  ;(app as TemplatedApp & { close(): void }).close()
  await pools.destroy()
  logs.flush()
}
