// The hop-by-hop header table and the Connection-named removal, applied in both directions.

/**
 * Headers that describe one connection, never the message (RFC 9110 §7.6.1),
 * so a proxy removes them before forwarding, like Go's httputil.ReverseProxy.
 */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection', // non-standard, still sent by old clients (Go issue 16875)
  'proxy-authenticate',
  'proxy-authorization', // credentials for this proxy, never for the backend
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** The lowercase header names that a `Connection` value lists: they are hop-by-hop too. */
export function connectionNamed(values: string[]): Set<string> | undefined {
  if (values.length === 0) return undefined
  const named = new Set<string>()
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase()
      if (name) named.add(name)
    }
  }
  return named
}
