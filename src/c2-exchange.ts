// C2: the backend side of one exchange — an undici dispatch handler whose context is its C1.
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { C1, C1Peer } from './c1-response.js'

/** Methods that may be sent twice (RFC 9110 §9.2.2): safe to retry on a fresh connection. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** The errors of a pooled keep-alive socket that the backend had already closed. */
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

class ClientGone extends Error {
  readonly code = 'UPROXY_CLIENT_GONE'
}

/**
 * Opens C2 for `c1` on `pool`. A request that met a stale keep-alive socket is sent once
 * more on a fresh connection when that is safe: idempotent, no body, and nothing sent to C1.
 */
export function openC2(c1: C1, pool: Dispatcher, request: Dispatcher.DispatchOptions, attempt = 0): void {
  const c2 = new C2(c1, pool, request, attempt)
  c1.c2 = c2
  pool.dispatch(request, c2)
}

class C2 implements Dispatcher.DispatchHandler, C1Peer {
  private controller: Dispatcher.DispatchController | undefined

  constructor(
    private readonly c1: C1,
    private readonly pool: Dispatcher,
    private readonly request: Dispatcher.DispatchOptions,
    private readonly attempt: number,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    // the client may have left while this request waited for a pooled connection
    if (this.c1.done) controller.abort(new ClientGone('client closed the connection'))
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.c1.done) return controller.abort(new ClientGone('client closed the connection'))
    this.c1.writeHead(status, message, headers)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.c1.writeChunk(chunk)) controller.pause()
  }

  onResponseEnd(): void {
    this.c1.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (err instanceof ClientGone) return
    if (this.mayRetry(err)) return openC2(this.c1, this.pool, this.request, this.attempt + 1)
    this.c1.fail(err)
  }

  /** C1 went away: destroy the backend exchange at once, so the backend sees its connection close. */
  abort(): void {
    this.controller?.abort(new ClientGone('client closed the connection'))
  }

  /** C1 drained: read from the backend again. */
  resume(): void {
    this.controller?.resume()
  }

  private mayRetry(err: Error): boolean {
    const code = (err as { code?: string }).code ?? ''
    return this.attempt === 0 && !this.c1.responseStarted && !this.c1.done && this.request.body == null &&
      IDEMPOTENT.has(this.request.method) && STALE_SOCKET.has(code)
  }
}
