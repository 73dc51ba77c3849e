// One keep-alive undici Pool per backend origin, with the TLS settings for https:// backends.
import { Pool } from 'undici'
import type { Backend } from '../config/backend-url.js'
import { configuredBackends, type ProxyConfig } from '../config/config.js'

/** The pools of every configured backend, made up front: the targets come only from configuration. */
export class BackendPools {
  private readonly pools = new Map<string, Pool>()

  constructor(config: ProxyConfig) {
    const connect = {
      // certificate verification stays on unless the user asked otherwise, loudly (--insecure)
      rejectUnauthorized: !config.insecure,
      ...(config.ca ? { ca: [...config.ca] } : {}),
    }
    for (const backend of configuredBackends(config)) {
      if (this.pools.has(poolKey(backend))) continue
      this.pools.set(poolKey(backend), new Pool(backend.origin, {
        connect,
        headersTimeout: config.timeoutMs,
        // the silence allowed between two pieces of a body (nginx's proxy_read_timeout); SSE and
        // long polls that stay silent longer need a larger --read-timeout, or 0
        bodyTimeout: config.readTimeoutMs,
        // offers h2 by ALPN; an https backend that does not take it up is spoken to in HTTP/1.1,
        // and an http:// backend always is (undici has no h2c). One connection: undici's Pool
        // cannot tell a connecting client will multiplex, and opened one per waiting request
        ...(backend.h2 ? { allowH2: true, connections: 1 } : {}),
      }))
    }
  }

  /** The pool for a configured backend. */
  get(backend: Backend): Pool {
    return this.pools.get(poolKey(backend)) as Pool
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
