// Path routes: the longest prefix on a segment boundary wins, optionally stripped.
import type { Backend } from '../config/backend-url.js'
import type { PolicyName } from '../balancing/policy.js'
import { ConfigError } from '../config/config-error.js'

/** A validated route: requests under `prefix` go to one of `backends`, chosen by `balance`. */
export interface Route {
  /** starts with '/', no trailing slash (except the root route '/') */
  readonly prefix: string
  /** the first of `backends` */
  readonly backend: Backend
  readonly backends: readonly Backend[]
  readonly balance: PolicyName
  /** strip the prefix before forwarding */
  readonly rewrite: boolean
}

/** Checks a route prefix and drops a trailing slash, so '/api/' and '/api' mean the same. */
export function normalisePrefix(prefix: string, what: string): string {
  if (!prefix.startsWith('/')) throw new ConfigError(`${what}: prefix "${prefix}" must start with /`)
  if (/[?#\s]/.test(prefix)) throw new ConfigError(`${what}: prefix "${prefix}" may hold only a path`)
  return prefix.length > 1 ? prefix.replace(/\/+$/, '') || '/' : prefix
}

/** Orders routes so that the first match is the longest prefix. */
export function sortRoutes<R extends { readonly prefix: string }>(routes: R[]): readonly R[] {
  return Object.freeze([...routes].sort((a, b) => b.prefix.length - a.prefix.length))
}

/** `/api` matches `/api` and `/api/…`, never `/apis` (the query is not part of `path`). */
export function matchesPrefix(prefix: string, path: string): boolean {
  if (prefix === '/') return true
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47)
}

/** The route for `path`, or undefined for the default backend. `routes` come from sortRoutes. */
export function findRoute<R extends { readonly prefix: string }>(routes: readonly R[], path: string): R | undefined {
  for (const route of routes) if (matchesPrefix(route.prefix, path)) return route
  return undefined
}

/** The path C2 asks the backend for: base path, then the (maybe stripped) path, then the query. */
export function backendPath(backend: Backend, path: string, query: string, stripPrefix?: string): string {
  let rest = path
  if (stripPrefix !== undefined && stripPrefix !== '/') rest = path.slice(stripPrefix.length) || '/'
  const withQuery = query ? `${rest}?${query}` : rest
  return backend.basePath + withQuery
}
