// C2 → C1 response headers: which backend headers reach the client.
import type { IncomingHttpHeaders } from 'node:http'
import { connectionNamed, HOP_BY_HOP } from './hop-by-hop.js'

/**
 * Headers C1 never copies besides the hop-by-hop ones: uWS writes its own framing
 * (Content-Length from end/tryEnd, chunked from write) and its own Date.
 */
const WRITTEN_BY_UWS = new Set(['content-length', 'date'])

/** Calls `write` once per header line to copy, keeping repeated headers (Set-Cookie) separate. */
export function forEachC1Header(headers: IncomingHttpHeaders, write: (name: string, value: string) => void): void {
  const connection = headers.connection
  const named = connection === undefined ? undefined : connectionNamed(Array.isArray(connection) ? connection : [connection])
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || WRITTEN_BY_UWS.has(name) || named?.has(name)) continue
    const value = headers[name]
    if (typeof value === 'string') write(name, value)
    else if (value !== undefined) for (const each of value) write(name, each)
  }
}
