// The request C2 sends, made once for HTTP and WebSocket exchanges alike: path, then the backend-request phase.
import type { Backend } from '../config/backend-url.js'
import { backendPath } from '../routing/route-table.js'
import type { C2RequestHead, Exchange } from './hooks.js'
import { HookError, type Phases } from './phases.js'

/**
 * The request for `exchange` to `backend`: the client's method, its path without the `strip`ped
 * route prefix and under the backend's base path, and its headers as the backend-request phase
 * leaves them (the built-in one removes hop-by-hop headers and sets Host and X-Forwarded-*).
 * Throws HookError when a hook throws.
 */
export function c2RequestHead(exchange: Exchange, backend: Backend, strip: string | undefined, phases: Phases): C2RequestHead {
  const { method, c2Path, c2Query, headers } = exchange.request
  // a request without c2Path was refused in the request phase
  const head: C2RequestHead = { method, path: backendPath(backend, c2Path as string, c2Query, strip), headers, backend }
  phases.c2Request(exchange, head)
  const broken = brokenPart(head)
  if (broken) throw new HookError('c2Request', new Error(`${broken}: a backend request cannot carry it`))
  return head
}

/** A method that is not a token, or a path or header that would end a line early (CR, LF, NUL) or is not bytes. */
const BAD_METHOD = /[^!#$%&'*+.^_`|~0-9A-Za-z-]/
const BAD_PATH = /[\x00-\x20\x7f\u0100-\uffff]/
const BAD_NAME = /[^!#$%&'*+.^_`|~0-9a-z-]/
const BAD_VALUE = /[\x00\n\r\u0100-\uffff]/

/** What in `head` would break the request's framing, or undefined: a hook may have put it there. */
function brokenPart({ method, path, headers }: C2RequestHead): string | undefined {
  if (!method || BAD_METHOD.test(method)) return `method ${JSON.stringify(method)}`
  if (!path.startsWith('/') || BAD_PATH.test(path)) return `path ${JSON.stringify(path)}`
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    if (!name || BAD_NAME.test(name)) return `header name ${JSON.stringify(name)}`
    if (BAD_VALUE.test(headers[i + 1] as string)) return `the value of header ${name}`
  }
  return undefined
}
