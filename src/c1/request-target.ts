// The path and query that C1 routes and C2 forwards: fragment cut, dot-segments removed, slashes merged, bytes as sent.
import { toByteString } from './byte-string.js'

/** A '.' or '..' segment, dots maybe percent-encoded (%2E is a dot, RFC 3986 §2.3). */
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?=\/|$)/i
const ONE_DOT = /^(?:\.|%2e)$/i
const TWO_DOTS = /^(?:\.|%2e){2}$/i
const REPEATED_SLASHES = /\/{2,}/g

/**
 * The path to route and forward, as bytes. A fragment is cut (RFC 9112 §3.2: a request
 * target has none; browsers never send one). Dot-segments are removed (RFC 3986 §5.2.4) so
 * that `/api/../admin` is routed, and forwarded, as `/admin`; then runs of `/` are merged, as
 * nginx's `merge_slashes on` does, so that `//admin` cannot miss a route on `/admin`. A path
 * with neither is kept byte for byte (`%2F` and other encodings untouched). Undefined when
 * `..` climbs above the root, which nginx answers with 400.
 */
export function c2Path(url: string): string | undefined {
  const hash = url.indexOf('#')
  const path = hash < 0 ? url : url.slice(0, hash)
  const resolved = DOT_SEGMENT.test(path) ? removeDotSegments(path) : path
  return resolved === undefined ? undefined : toByteString(mergeSlashes(resolved))
}

/** The query to forward, as bytes: cut at a fragment, and empty when the fragment started in the path. */
export function c2Query(url: string, query: string): string {
  // uWS splits `/a#f?x` at the '?', which belongs to the fragment
  if (url.includes('#')) return ''
  const hash = query.indexOf('#')
  return toByteString(hash < 0 ? query : query.slice(0, hash))
}

/** `/a/./b/../c/` → `/a/c/`; undefined when a `..` has no segment left to remove. */
function removeDotSegments(path: string): string | undefined {
  const segments = path.split('/')
  const out: string[] = []
  const last = segments.length - 1
  // segments[0] is the empty string before the path's leading '/'
  for (let i = 1; i <= last; i++) {
    const segment = segments[i] as string
    const dots = ONE_DOT.test(segment) ? 1 : TWO_DOTS.test(segment) ? 2 : 0
    if (dots === 0) {
      out.push(segment)
      continue
    }
    if (dots === 2 && out.pop() === undefined) return undefined
    // a path ending in a dot-segment names a directory: `/a/b/..` → `/a/`
    if (i === last) out.push('')
  }
  return `/${out.join('/')}`
}

/** `//a///b/` → `/a/b/`. Most paths have no `//`: one scan, no copy. */
function mergeSlashes(path: string): string {
  return path.includes('//') ? path.replace(REPEATED_SLASHES, '/') : path
}
