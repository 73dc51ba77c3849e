// C2: the backend side of one exchange — an undici dispatch handler whose context is its C1.
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Member } from '../balancing/member.js'
import type { C1, C1Peer } from '../c1/c1.js'
import { isBackendFailure, isBrokenConnection, mayRetry } from './c2-failure.js'
import { describeError } from './gateway-errors.js'
import type { RouteMatch } from '../routing/live-targets.js'
import { c2RequestHeaders } from '../exchange/request-headers.js'
import { backendPath } from '../routing/route-table.js'

class ClientGone extends Error {
  readonly code = 'UPROXY_CLIENT_GONE'
}

/**
 * Opens C2 for `c1` on `member`, one of `route`'s backends; `proto` is the scheme C1 was
 * reached by (X-Forwarded-Proto). An exchange that fails before any byte reached the client
 * is sent again, up to `retries` times, on another backend of the group (or on a fresh
 * connection to the same one when a pooled connection broke), when that is safe: no request
 * body, and an idempotent method or a connection never made.
 */
export function openC2(c1: C1, route: RouteMatch, proto: string, member: Member, body: Readable | null): void {
  route.owner.opened()
  dispatchC2(new C2(c1, route, proto, member, body, 0, undefined))
}

function dispatchC2(c2: C2): void {
  c2.c1.c2 = c2
  c2.member.load.inFlight++
  c2.route.owner.pools.get(c2.member.backend).dispatch(c2.request, c2)
}

class C2 implements Dispatcher.DispatchHandler, C1Peer {
  readonly request: Dispatcher.DispatchOptions
  private controller: Dispatcher.DispatchController | undefined
  private ended = false

  constructor(
    readonly c1: C1,
    readonly route: RouteMatch,
    private readonly proto: string,
    readonly member: Member,
    body: Readable | null,
    private readonly attempt: number,
    /** the members tried before this attempt; undefined on the first */
    private readonly tried: Member[] | undefined,
  ) {
    const { method, c2Path, c2Query, headers, clientAddress } = c1.request
    const backend = member.backend
    this.request = {
      method,
      // openExchange refused a request without a c2Path
      path: backendPath(backend, c2Path as string, c2Query, route.strip),
      headers: c2RequestHeaders(headers, {
        clientAddress,
        proto,
        host: route.owner.config.preserveHost ? '' : backend.host,
      }),
      body,
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
    // the client may have left while this request waited for a pooled connection
    if (this.c1.done) controller.abort(new ClientGone('client closed the connection'))
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.c1.done) return controller.abort(new ClientGone('client closed the connection'))
    this.member.health.recordSuccess()
    this.c1.writeHead(status, message, headers)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.c1.writeChunk(chunk)) controller.pause()
  }

  onResponseEnd(): void {
    this.end()
    this.c1.end()
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (err instanceof ClientGone) return this.end()
    if (isBackendFailure(err)) this.member.health.recordFailure(describeError(err))
    const tried = this.mayRetry(err) ? [...(this.tried ?? []), this.member] : undefined
    const next = tried && (this.route.group.pickAgain(this.c1.request.clientAddress, tried) ??
      (isBrokenConnection(err) ? this.member : undefined))
    if (!next) {
      this.end()
      return this.c1.fail(err)
    }
    // this attempt is over, the exchange is not: the next attempt holds it open
    this.ended = true
    this.member.load.inFlight--
    this.c1.retrying(next.backend, err)
    dispatchC2(new C2(this.c1, this.route, this.proto, next, null, this.attempt + 1, tried))
  }

  /** C1 went away: destroy the backend exchange at once, so the backend sees its connection close. */
  abort(): void {
    this.controller?.abort(new ClientGone('client closed the connection'))
  }

  /** C1 drained: read from the backend again. */
  resume(): void {
    this.controller?.resume()
  }

  /** Retries are left, nothing reached the client, and sending the request again is safe. */
  private mayRetry(err: Error): boolean {
    const { c1, request } = this
    if (this.attempt >= this.route.owner.config.retries || c1.responseStarted || c1.done) return false
    return mayRetry(request.method, request.body != null, err)
  }

  /** The exchange is over on this backend and for good: its load and its configuration's count drop. */
  private end(): void {
    if (this.ended) return
    this.ended = true
    this.member.load.inFlight--
    this.route.owner.closed()
  }
}
