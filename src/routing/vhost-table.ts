// Virtual hosts: the request's Host header (port ignored, any case) → what that host is configured with.
import { ConfigError } from '../config/config-error.js'

/** Host patterns to values: exact names first, then the longest `*.suffix` wildcard. */
export interface VhostTable<T> {
  readonly exact: ReadonlyMap<string, T>
  /** '.example.com' for '*.example.com', longest first */
  readonly wildcards: readonly (readonly [suffix: string, value: T])[]
}

/**
 * Checks a host pattern: a name ('example.com', 'localhost', '127.0.0.1', '[::1]') or a
 * wildcard of its subdomains ('*.example.com'), without a port. Returns it lowercased,
 * without a trailing dot. `what` names the argument in the error message.
 */
export function normaliseHostPattern(pattern: string, what: string): string {
  const host = pattern.trim().toLowerCase().replace(/\.$/, '')
  const name = host.startsWith('*.') ? host.slice(2) : host
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/.test(name)) {
    throw new ConfigError(`${what}: "${pattern}" is not a host name or *.domain (no port, no path)`)
  }
  return host
}

/** A frozen table from [pattern, value] pairs; patterns go through normaliseHostPattern. Throws on a pattern given twice. */
export function createVhostTable<T>(entries: readonly (readonly [pattern: string, value: T])[], what = 'vhosts'): VhostTable<T> {
  const exact = new Map<string, T>()
  const wildcards: [string, T][] = []
  for (const [pattern, value] of entries) {
    const host = normaliseHostPattern(pattern, what)
    const taken = host.startsWith('*.') ? wildcards.some(([suffix]) => suffix === host.slice(1)) : exact.has(host)
    if (taken) throw new ConfigError(`${what}: host "${host}" is given twice`)
    if (host.startsWith('*.')) wildcards.push([host.slice(1), value])
    else exact.set(host, value)
  }
  wildcards.sort((a, b) => b[0].length - a[0].length)
  return Object.freeze({ exact, wildcards: Object.freeze(wildcards) })
}

/**
 * The value for a Host header, or undefined when no pattern matches. '*.example.com' matches
 * 'a.example.com' and 'a.b.example.com', never 'example.com' itself (as nginx's server_name).
 */
export function findVhost<T>(table: VhostTable<T>, hostHeader: string | undefined): T | undefined {
  if (!hostHeader) return undefined
  const host = hostName(hostHeader)
  const found = table.exact.get(host)
  if (found !== undefined) return found
  for (const [suffix, value] of table.wildcards) {
    if (host.length > suffix.length && host.endsWith(suffix)) return value
  }
  return undefined
}

/** 'Example.COM:8080' → 'example.com'; '[::1]:80' → '[::1]'; a trailing dot dropped. */
export function hostName(hostHeader: string): string {
  let host = hostHeader.trim().toLowerCase()
  const colon = host.lastIndexOf(':')
  // a colon inside brackets belongs to an IPv6 address, not to a port
  if (colon >= 0 && colon > host.lastIndexOf(']')) host = host.slice(0, colon)
  return host.endsWith('.') ? host.slice(0, -1) : host
}

/** The same table with every value mapped. */
export function mapVhostTable<T, U>(table: VhostTable<T>, map: (value: T) => U): VhostTable<U> {
  return Object.freeze({
    exact: new Map([...table.exact].map(([host, value]) => [host, map(value)] as const)),
    wildcards: Object.freeze(table.wildcards.map(([suffix, value]) => [suffix, map(value)] as const)),
  })
}
