// One keep-alive pool per backend origin: uproxy's own for HTTP/1.1, undici's for --backend-h2.
import { Pool } from 'undici'
import type { Backend } from '../config/backend-url.js'
import { ConnectionPool } from './connection-pool.js'
import type { C2Dispatcher } from './exchange-handler.js'
import { configuredBackends, type ProxyConfig } from '../config/config.js'

/** The pools of every configured backend, made up front: the targets come only from configuration. */
export class BackendPools {
  private readonly pools = new Map<string, C2Dispatcher>()

  constructor(config: ProxyConfig) {
    // certificate verification stays on unless the user asked otherwise, loudly (--insecure)
    const rejectUnauthorized = !config.insecure
    for (const backend of configuredBackends(config)) {
      if (this.pools.has(poolKey(backend))) continue
      this.pools.set(poolKey(backend), backend.h2
        ? new Pool(backend.origin, {
          connect: { rejectUnauthorized, ...(config.ca ? { ca: [...config.ca] } : {}) },
          headersTimeout: config.timeoutMs,
          // the silence allowed between two pieces of a body (nginx's proxy_read_timeout); SSE and
          // long polls that stay silent longer need a larger --read-timeout, or 0
          bodyTimeout: config.readTimeoutMs,
          // offers h2 by ALPN; an https backend that does not take it up is spoken to in HTTP/1.1,
          // and an http:// backend always is (undici has no h2c). One connection: undici's Pool
          // cannot tell a connecting client will multiplex, and opened one per waiting request
          allowH2: true,
          connections: 1,
        })
        : new ConnectionPool(backend.origin, { headTimeoutMs: config.timeoutMs, readTimeoutMs: config.readTimeoutMs, ca: config.ca, rejectUnauthorized }))
    }
  }

  /** The pool for a configured backend. */
  get(backend: Backend): C2Dispatcher {
    return this.pools.get(poolKey(backend)) as C2Dispatcher
  }

  /** Closes every pool once the exchanges it is running have ended (after a reload). */
  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()))
  }

  /** Closes every pool's connections, cutting whatever is still running. */
  async destroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()))
  }
}

/** One pool per origin and protocol choice: two routes to one origin may differ in `backendH2`. */
function poolKey(backend: Backend): string {
  return backend.h2 ? `${backend.origin} h2` : backend.origin
}
