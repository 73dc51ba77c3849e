// C2: the backend side of one exchange — a dispatch handler (uproxy's HTTP/1.1 pool, undici's for h2) whose context is its C1.
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Member } from '../balancing/member.js'
import type { C1, C1Peer } from '../c1/c1.js'
import type { C2Controller, C2Handler, C2Request } from './exchange-handler.js'
import { isBackendFailure, isBrokenConnection, isStaleKeepAlive, mayRetry } from './failures.js'
import { describeError, errorCode } from './gateway-errors.js'
import type { RouteMatch } from '../routing/live-targets.js'
import { c2RequestHead } from '../exchange/c2-request.js'
import type { C2Connection } from '../exchange/watcher.js'

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
export function openC2(c1: C1, route: RouteMatch, member: Member, body: Readable | null): void {
  // the backend-request phase runs in the constructor, and may throw before anything is counted
  const c2 = new C2(c1, route, member, body, 0, undefined)
  route.owner.opened()
  dispatchC2(c2)
}

function dispatchC2(c2: C2): void {
  c2.c1.c2 = c2
  c2.member.load.inFlight++
  c2.route.owner.pools.get(c2.member.backend).dispatch(c2.request, c2)
}

class C2 implements C2Handler, C1Peer {
  readonly request: C2Request
  private controller: C2Controller | undefined
  private ended = false

  constructor(
    readonly c1: C1,
    readonly route: RouteMatch,
    readonly member: Member,
    body: Readable | null,
    private readonly attempt: number,
    /** the members tried before this attempt; undefined on the first */
    private readonly tried: Member[] | undefined,
    /** an earlier attempt already went again after a stale keep-alive connection */
    private readonly staleRetried = false,
  ) {
    c1.attempting(member.backend)
    const { method, path, headers } = c2RequestHead(c1, member.backend, route.strip, c1.phases)
    this.request = { method, path, headers, body }
  }

  onRequestStart(controller: C2Controller): void {
    this.controller = controller
    // the client may have left while this request waited for a pooled connection
    if (this.c1.done) controller.abort(new ClientGone('client closed the connection'))
  }

  onConnection(_controller: C2Controller, connection: C2Connection): void {
    this.c1.phases.watcher?.c2Connection(this.c1, connection)
  }

  onRequestSent(): void {
    this.c1.phases.watcher?.c2HeadSent(this.c1)
  }

  onFirstByte(): void {
    this.c1.phases.watcher?.c2FirstByte(this.c1)
  }

  onResponseStart(controller: C2Controller, status: number, headers: IncomingHttpHeaders, message?: string): void {
    if (this.c1.done) return controller.abort(new ClientGone('client closed the connection'))
    this.member.health.recordSuccess()
    this.c1.writeHead(status, message, headers)
  }

  onResponseData(controller: C2Controller, chunk: Buffer): void {
    this.c1.phases.watcher?.c2Body(this.c1, chunk.length)
    if (!this.c1.writeChunk(chunk)) controller.pause()
  }

  onResponseEnd(): void {
    this.c1.phases.watcher?.c2End(this.c1)
    this.end()
    this.c1.end()
  }

  onResponseError(_controller: C2Controller, err: Error): void {
    this.c1.phases.watcher?.c2Error(this.c1, errorCode(err) || 'failed')
    if (err instanceof ClientGone) return this.end()
    if (isBackendFailure(err)) this.member.health.recordFailure(describeError(err))
    // a keep-alive connection the backend had dropped: once more on a fresh one to the same
    // backend, as any HTTP client does; that is not one of --retries
    const stale = isStaleKeepAlive(err) && !this.staleRetried && this.maySendAgain(err)
    const tried = !stale && this.mayRetry(err) ? [...(this.tried ?? []), this.member] : undefined
    const next = stale ? this.member : tried && (this.route.group.pickAgain(this.c1.request.clientAddress, tried) ??
      (isBrokenConnection(err) ? this.member : undefined))
    if (!next) {
      this.end()
      return this.c1.fail(err)
    }
    // this attempt is over, the exchange is not: the next attempt holds it open
    this.ended = true
    this.member.load.inFlight--
    this.c1.retrying(next.backend, err)
    let retry: C2
    try {
      retry = stale
        ? new C2(this.c1, this.route, next, null, this.attempt, this.tried, true)
        : new C2(this.c1, this.route, next, null, this.attempt + 1, tried, this.staleRetried)
    } catch (hookError) {
      this.route.owner.closed()
      return this.c1.fail(hookError as Error)
    }
    dispatchC2(retry)
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
    return this.attempt < this.route.owner.config.retries && this.maySendAgain(err)
  }

  /** Nothing reached the client, and sending the request again is safe (no body, idempotent or never sent). */
  private maySendAgain(err: Error): boolean {
    const { c1, request } = this
    return !c1.responseStarted && !c1.done && mayRetry(request.method, request.body != null, err)
  }

  /** The exchange is over on this backend and for good: its load and its configuration's count drop. */
  private end(): void {
    if (this.ended) return
    this.ended = true
    this.member.load.inFlight--
    this.route.owner.closed()
  }
}
