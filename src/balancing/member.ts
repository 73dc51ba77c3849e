// A member of a backend group: one configured backend at run time, with the load and health the balancer looks at.
import type { Backend } from '../config/backend-url.js'
import type { BackendHealth } from './backend-health.js'

/**
 * One backend of a group at run time. A backend named by several groups is one member per
 * group (each with its own weight in `backend`), sharing one `load` and one `health`.
 */
export interface Member {
  /** as configured: URL parts and weight; `backend.url` is its stable name (ip-hash hashes it) */
  readonly backend: Backend
  /** exchanges open on the backend now, shared by every group that names it */
  readonly load: { inFlight: number }
  readonly health: BackendHealth
}

/** The name of a backend's load and health: one per URL and protocol, whichever groups name it. */
export function healthKey(backend: Backend): string {
  return `${backend.url} ${backend.h2}`
}
