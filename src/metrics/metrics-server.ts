// The metrics listener: a plain node:http server apart from C1, answering GET /metrics with Prometheus text.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { ListenError } from '../config/listen-address.js'

/** A running metrics listener. */
export interface MetricsServer {
  /** http://HOST:PORT/metrics, with the real port */
  readonly url: string
  close(): Promise<void>
}

/**
 * Serves `registry` on `host`:`port` at /metrics (other paths: 404). Apart from C1 so that it can
 * listen where only Prometheus reaches (127.0.0.1, an internal interface), as nginx's stub_status
 * usually does. Rejects with ListenError when the address cannot be bound.
 */
export async function startMetricsServer(registry: Pick<Registry, 'metrics' | 'contentType'>, host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n')
      return
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(req.method === 'HEAD' ? undefined : text)
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen for metrics on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`)))
    server.listen(port, host, resolve)
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    url: `http://${shown}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
