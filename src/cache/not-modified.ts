// A client's conditional GET or HEAD against a stored response: RFC 9110 §13.1.2, §13.1.3 and §13.2.2, RFC 9111 §4.3.2; the 304's headers.
import type { IncomingHttpHeaders } from 'node:http'
import type { StoredResponse } from './response-cache.js'

/** The client's own validators, as its request sent them. */
export interface ClientValidators {
  readonly ifNoneMatch: string | undefined
  readonly ifModifiedSince: string | undefined
}

/** Each entity-tag of an If-None-Match list, quotes kept, W/ dropped: a comma may sit inside the quotes. */
const ENTITY_TAG = /(?:W\/)?("[^"]*")/g

/**
 * Representation metadata a 304 should not carry (RFC 9110 §15.4.5): the client keeps its
 * own. The other fields stay, as nginx and Varnish keep them: a script's own conditional
 * fetch sees the 304 itself and needs, say, Access-Control-Allow-Origin on it.
 */
const NOT_IN_304 = ['content-type', 'content-encoding', 'content-language', 'content-length']

/**
 * The client's copy is `stored`'s: If-None-Match by weak comparison when the request has it,
 * else If-Modified-Since. Only on a stored 200, as nginx and Varnish do: RFC 9110 §13.2.1 has
 * preconditions ignored on a status other than 2xx, and a 200 is what a client revalidates.
 */
export function isNotModified(client: ClientValidators, stored: StoredResponse): boolean {
  if (stored.status !== 200) return false
  if (client.ifNoneMatch !== undefined) return matchesETag(client.ifNoneMatch, stored.headers.etag)
  if (client.ifModifiedSince !== undefined) return unmodifiedSince(client.ifModifiedSince, stored)
  return false
}

/** The headers of a 304 from those the 200 would have had: its validators, Cache-Control, Expires, Vary, Age, X-Cache… */
export function notModifiedHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const kept = { ...headers }
  for (const name of NOT_IN_304) delete kept[name]
  return kept
}

/** `*` matches any stored response; else one of the listed tags is the stored ETag, W/ aside. */
function matchesETag(ifNoneMatch: string, etag: string | undefined): boolean {
  if (ifNoneMatch.trim() === '*') return true
  if (etag === undefined) return false
  const stored = etag.replace(/^W\//, '')
  for (const [, tag] of ifNoneMatch.matchAll(ENTITY_TAG)) if (tag === stored) return true
  return false
}

/**
 * Last modified at or before the date the client gives (RFC 9110's rule; nginx's default
 * `if_modified_since exact` wants the same date). Without Last-Modified, the stored response's
 * Date, or when it was received (RFC 9111 §4.3.2). An invalid date is ignored (RFC 9110 §13.1.3).
 */
function unmodifiedSince(ifModifiedSince: string, stored: StoredResponse): boolean {
  const since = Date.parse(ifModifiedSince)
  if (!Number.isFinite(since)) return false
  const lastModified = Date.parse(String(stored.headers['last-modified']))
  const modified = Number.isFinite(lastModified) ? lastModified : stored.policy.date()
  // an HTTP-date counts whole seconds; a receipt time has milliseconds
  return Math.floor(modified / 1000) * 1000 <= since
}
