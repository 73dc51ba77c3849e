// C1 → C2 request headers: hop-by-hop out, Host rewritten, X-Forwarded-* added.
import type { Hooks } from './hooks.js'
import { connectionNamed, HOP_BY_HOP } from './hop-by-hop.js'

/** What C1 knows about the client that the forwarded headers carry. */
export interface ForwardedFrom {
  /** the client's address as C1 saw it */
  clientAddress: string
  /** 'http' or 'https': the scheme C1 was reached by */
  proto: string
  /** the Host header C2 sends */
  host: string
}

/** Headers that C2 sets itself, so the client's values are dropped. */
const REPLACED = new Set(['host', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'])

/**
 * The flat [name, value, …] header list C2 sends, built from C1's lowercase flat list.
 * `Expect` is answered at C1 (uWS sends 100 Continue) and never forwarded.
 */
export function c2RequestHeaders(c1Headers: string[], from: ForwardedFrom): string[] {
  const out: string[] = []
  const connection: string[] = []
  let clientHost = ''
  let priorFor = ''
  for (let i = 0; i < c1Headers.length; i += 2) {
    const name = c1Headers[i] as string
    const value = c1Headers[i + 1] as string
    if (name === 'connection') connection.push(value)
    else if (name === 'host') clientHost = value
    else if (name === 'x-forwarded-for') priorFor = priorFor ? `${priorFor}, ${value}` : value
  }
  const named = connectionNamed(connection)
  for (let i = 0; i < c1Headers.length; i += 2) {
    const name = c1Headers[i] as string
    if (HOP_BY_HOP.has(name) || REPLACED.has(name) || name === 'expect' || named?.has(name)) continue
    out.push(name, c1Headers[i + 1] as string)
  }
  out.push(
    'host', from.host || clientHost,
    'x-forwarded-for', priorFor ? `${priorFor}, ${from.clientAddress}` : from.clientAddress,
    'x-forwarded-proto', from.proto,
  )
  if (clientHost) out.push('x-forwarded-host', clientHost)
  return out
}


/**
 * The built-in backend-request phase: the client's headers without hop-by-hop ones, Host
 * rewritten to the backend's (or kept, with `preserveHost`), X-Forwarded-* set from C1.
 */
export function forwardedHeaders(preserveHost: boolean): Hooks {
  return {
    c2Request(exchange, head) {
      head.headers = c2RequestHeaders(head.headers, {
        clientAddress: exchange.request.clientAddress,
        proto: exchange.proto,
        host: preserveHost ? '' : head.backend.host,
      })
    },
  }
}
