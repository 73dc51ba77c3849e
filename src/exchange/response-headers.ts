// C2 → C1 response headers: the built-in response-head phase drops hop-by-hop ones; C1 writes the rest.
import type { IncomingHttpHeaders } from 'node:http'
import type { Hooks } from './hooks.js'
import { connectionNamed, HOP_BY_HOP } from './hop-by-hop.js'

/**
 * Headers C1 never copies: uWS writes its own framing (Content-Length from end/tryEnd,
 * chunked from write) and its own Date.
 */
const WRITTEN_BY_UWS = new Set(['content-length', 'date'])

/**
 * The built-in response-head phase: hop-by-hop headers, and those the backend's Connection
 * names, never reach the client (RFC 9110 §7.6.1). They are set to undefined rather than
 * deleted, which keeps the object's shape (and its iteration) fast.
 */
export const responseHopByHop: Hooks = {
  c2ResponseHead(_exchange, head) {
    const headers = head.headers
    const connection = headers.connection
    const named = connection === undefined ? undefined : connectionNamed(Array.isArray(connection) ? connection : [connection])
    for (const name in headers) {
      if (HOP_BY_HOP.has(name) || named?.has(name)) headers[name] = undefined
    }
  },
}

/** Calls `write` once per header line to copy, keeping repeated headers (Set-Cookie) separate. */
export function forEachC1Header(headers: IncomingHttpHeaders, write: (name: string, value: string) => void): void {
  for (const name in headers) {
    if (WRITTEN_BY_UWS.has(name)) continue
    const value = headers[name]
    if (typeof value === 'string') write(name, value)
    else if (value !== undefined) for (const each of value) write(name, each)
  }
}
