// The response cache as phases: look up in the request phase, revalidate in the backend request, fill as the body streams.
import type { IncomingHttpHeaders } from 'node:http'
import CachePolicy from 'http-cache-semantics'
import { hasRequestBody } from '../c1/request-body.js'
import type { Answer, C2RequestHead, Exchange, Hooks } from '../exchange/hooks.js'
import { isNotModified, notModifiedHeaders, type ClientValidators } from './not-modified.js'
import { FillLocks, type CacheStore, type StoredResponse } from './response-cache.js'

/** What the X-Cache header says. */
export type CacheStatus = 'HIT' | 'MISS' | 'REVALIDATED' | 'BYPASS'

/** nginx's proxy_cache_lock_timeout: a request waits this long for another's fill, then asks the backend itself. */
const LOCK_WAIT_MS = 5000

/** The cache's view of one exchange. */
interface CacheState {
  status: CacheStatus
  readonly key: string
  /** the request as http-cache-semantics reads it, conditional headers removed */
  readonly request: CachePolicy.Request
  /** the client's If-None-Match and If-Modified-Since: a stored response it already has is a 304 */
  readonly client: ClientValidators
  /** the response may be stored (GET, no Range, no body) */
  readonly storable: boolean
  /** a stale variant with a validator, asked about with If-None-Match / If-Modified-Since */
  stale?: StoredResponse
  /** ends this exchange's fill lock */
  release?: () => void
  /** the body being stored, as it streams */
  fill?: { policy: CachePolicy; status: number; chunks: Buffer[]; bytes: number }
  /** a 304 refreshed `stale`: its body is what the client gets */
  refreshedBody?: Buffer
}

/**
 * The cache's hooks: `lookup` (request and backend-request phases) goes after the user's hooks,
 * so that a user's c1Request check runs before a hit is served; `fill` (response phases) goes
 * before them, so that what is stored is the backend's response and the user's response hooks,
 * like compression, run on hits and misses alike.
 */
export function cachePhases(cache: CacheStore): { lookup: Hooks; fill: Hooks } {
  const states = new WeakMap<Exchange, CacheState>()
  const locks = new FillLocks()
  return {
    lookup: {
      c1Request(exchange) {
        const state = toState(exchange)
        states.set(exchange, state)
        if (state.status === 'BYPASS') return undefined
        return lookUp(cache, locks, exchange, state)
      },
      c2Request(exchange, head) {
        const state = states.get(exchange)
        // a request that cannot fill the cache (HEAD) keeps its own conditionals: the backend may answer 304
        if (state?.status === 'MISS' && state.storable) askForFullResponse(state, head)
      },
    },
    fill: {
      c2ResponseHead(exchange, head) {
        const state = states.get(exchange)
        if (!state || state.status === 'HIT') return
        if (state.stale && head.status === 304) {
          const { policy, modified } = state.stale.policy.revalidatedPolicy(state.request, { status: 304, headers: head.headers })
          if (!modified) {
            const refreshed = toStored(policy, state.stale.status, state.stale.body, state.request)
            cache.store(state.key, refreshed, (stored) => varyMatches(stored.policy, state.request))
            state.status = 'REVALIDATED'
            state.refreshedBody = refreshed.body
            state.release?.()
            const answer = storedAnswer(refreshed, state)
            head.status = answer.status
            head.statusText = undefined
            head.headers = answer.headers
            return
          }
        }
        head.headers['x-cache'] = state.status
        startFill(cache, state, head.status, head.headers)
        // nothing will be stored: those waiting ask the backend now, not after this whole body
        if (!state.fill) state.release?.()
      },
      c2ResponseBody(exchange, chunk, last) {
        const state = states.get(exchange)
        if (!state) return chunk
        if (state.refreshedBody) return last ? state.refreshedBody : undefined
        const fill = state.fill
        if (!fill) return chunk
        if (chunk.length) {
          fill.bytes += chunk.length
          if (fill.bytes > cache.maxObjectBytes) state.fill = undefined
          else fill.chunks.push(chunk)
        }
        if (last) {
          state.fill = undefined
          storeFill(cache, state, fill)
        }
        return chunk
      },
      end(exchange) {
        states.get(exchange)?.release?.()
        states.delete(exchange)
      },
    },
  }
}

/** What the cache makes of a request: its key, and whether it looks up (GET/HEAD without Range, body or Authorization). */
function toState(exchange: Exchange): CacheState {
  const { method, c2Path, c2Query, headers: flat } = exchange.request
  const headers = toHeaderObject(flat)
  const client = { ifNoneMatch: headers['if-none-match'], ifModifiedSince: headers['if-modified-since'] }
  delete headers['if-none-match']
  delete headers['if-modified-since']
  const url = c2Query ? `${c2Path}?${c2Query}` : (c2Path as string)
  const cacheable = (method === 'GET' || method === 'HEAD') && headers.range === undefined && !hasRequestBody(flat)
  return {
    // a shared cache's key is the effective URI (RFC 9111 §2): the Host names the site
    key: `${headers.host ?? ''} ${url}`,
    request: { method, url, headers },
    client,
    storable: cacheable && method === 'GET',
    // RFC 9111 §3.5: whether a response to an authorized request may be stored is the response's
    // to say (http-cache-semantics checks it); a stored one is never served to such a request
    status: cacheable && headers.authorization === undefined ? 'MISS' : 'BYPASS',
  }
}

/** A fresh variant as the answer; else a fill under way to wait for; else this exchange fills (MISS). */
function lookUp(cache: CacheStore, locks: FillLocks, exchange: Exchange, state: CacheState): Answer | undefined | Promise<Answer | undefined> {
  const found = findFresh(cache, state)
  if (found instanceof Promise) return found.then((hit) => hit ?? (exchange.done ? undefined : waitOrFill(cache, locks, exchange, state)))
  return found ?? waitOrFill(cache, locks, exchange, state)
}

/** No fresh variant: wait for the fill of this key under way, or become its fill. */
function waitOrFill(cache: CacheStore, locks: FillLocks, exchange: Exchange, state: CacheState): undefined | Promise<Answer | undefined> {
  if (state.request.method === 'HEAD') return undefined
  const underWay = locks.underWay(state.key)
  if (!underWay) {
    state.release = locks.start(state.key)
    return undefined
  }
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, LOCK_WAIT_MS)))
  return Promise.race([underWay, timeout]).then(() => {
    clearTimeout(timer)
    // the fill did not store a response fit for this request (or took too long): ask the backend
    return exchange.done ? undefined : findFresh(cache, state)
  })
}

/** The stored response that answers `state`'s request now, as an Answer; records a stale one to revalidate. */
function findFresh(cache: CacheStore, state: CacheState): Answer | undefined | Promise<Answer | undefined> {
  state.stale = undefined
  const variants = cache.variants(state.key)
  return variants instanceof Promise ? variants.then((found) => pickFresh(found, state)) : pickFresh(variants, state)
}

function pickFresh(variants: readonly StoredResponse[] | undefined, state: CacheState): Answer | undefined {
  if (!variants) return undefined
  // RFC 9110 §9.3.2: HEAD is GET without the body, so a stored GET answers it
  const asGet = state.request.method === 'HEAD' ? { ...state.request, method: 'GET' } : state.request
  const plain = asGet.headers['cache-control'] === undefined && asGet.headers.pragma === undefined
  for (const stored of variants) {
    const fresh = plain && !stored.varies
      ? Date.now() < stored.freshUntil
      : isHit(stored.policy.evaluateRequest(asGet))
    if (fresh) {
      state.status = 'HIT'
      return storedAnswer(stored, state)
    }
    if (state.storable && varyMatches(stored.policy, state.request) && hasValidator(stored.policy)) state.stale = stored
  }
  return undefined
}

/** A stored response as `state`'s answer: a 304 when the client's own copy is this one, else whole (no body to HEAD). */
function storedAnswer(stored: StoredResponse, state: CacheState): Answer & { headers: IncomingHttpHeaders } {
  const headers = storedHeaders(stored, state.status)
  if (isNotModified(state.client, stored)) return { status: 304, headers: notModifiedHeaders(headers), stored: true }
  return { status: stored.status, headers, ...(state.request.method === 'HEAD' ? {} : { body: stored.body }), stored: true }
}

/** The headers a stored response goes out with: as stored, its Age now (RFC 9111 §5.1), X-Cache. */
function storedHeaders(stored: StoredResponse, status: CacheStatus): IncomingHttpHeaders {
  return { ...stored.headers, age: String(Math.round(stored.policy.age())), 'x-cache': status }
}

function isHit({ response, revalidation }: CachePolicy.EvaluateRequestResult): boolean {
  return response !== undefined && revalidation === undefined
}

/**
 * A response to store, with what every hit needs worked out once: the policy's headers, and
 * the policy's verdict for a request without directives (`freshUntil`).
 */
function toStored(policy: CachePolicy, status: number, body: Buffer, request: CachePolicy.Request): StoredResponse {
  const { 'cache-control': _, pragma: __, ...plain } = request.headers
  const ttl = isHit(policy.evaluateRequest({ ...request, method: 'GET', headers: plain })) ? (policy.maxAge() - policy.age()) * 1000 : 0
  const headers: IncomingHttpHeaders = { ...policy.responseHeaders(), 'content-length': String(body.length) }
  // uWS writes its own Date; Age is a hit's own
  delete headers.date
  delete headers.age
  return {
    policy, status, body, headers, freshUntil: ttl > 0 ? Date.now() + ttl : 0, varies: headers.vary !== undefined, bytes: body.length + headerBytes(policy),
  }
}

/**
 * A filling exchange asks for the whole response: the client's own If-None-Match and
 * If-Modified-Since do not go to the backend (nginx does the same), and a stale variant's
 * validators do, so that a 304 refreshes it.
 */
function askForFullResponse(state: CacheState, head: C2RequestHead): void {
  const flat = head.headers
  for (let i = flat.length - 2; i >= 0; i -= 2) {
    if (flat[i] === 'if-none-match' || flat[i] === 'if-modified-since') flat.splice(i, 2)
  }
  if (!state.stale) return
  const validators = state.stale.policy.revalidationHeaders(state.request)
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = validators[name]
    if (typeof value === 'string') flat.push(name, value)
  }
}

/** Starts storing the body when the response may be stored (http-cache-semantics' rules, no Set-Cookie as in nginx, small enough) and of use. */
function startFill(cache: CacheStore, state: CacheState, status: number, headers: IncomingHttpHeaders): void {
  if (!state.storable || headers['set-cookie'] !== undefined) return
  const length = headers['content-length']
  if (length !== undefined && Number(length) > cache.maxObjectBytes) return
  // a copy: later response hooks (compression) change the headers the client gets, not what is stored
  const stored = { ...headers }
  delete stored['x-cache']
  const policy = new CachePolicy(state.request, { status, headers: stored }, { shared: true })
  if (!policy.storable()) return
  // stale at once and nothing to revalidate it with: it could never answer a request, only push out entries that can
  if (policy.timeToLive() === 0 && !hasValidator(policy)) return
  state.fill = { policy, status, chunks: [], bytes: 0 }
}

/** The whole body arrived: store it in place of the variants it supersedes, and wake those waiting. */
function storeFill(cache: CacheStore, state: CacheState, fill: NonNullable<CacheState['fill']>): void {
  const body = Buffer.concat(fill.chunks, fill.bytes)
  const response = toStored(fill.policy, fill.status, body, state.request)
  // a new response supersedes what it answers for: the variants whose Vary fields this request matches
  cache.store(state.key, response, (stored) => varyMatches(stored.policy, state.request))
  state.release?.()
}

/** RFC 9111 §4.1: the request's fields that the stored response's Vary names are the stored request's. */
function varyMatches(policy: CachePolicy, request: CachePolicy.Request): boolean {
  const { reqh, resh } = policy.toObject()
  const vary = resh.vary
  if (vary === undefined) return true
  if (typeof vary !== 'string' || vary.trim() === '*') return false
  return vary.toLowerCase().split(',').every((name) => {
    const field = name.trim()
    return !field || (reqh?.[field] ?? undefined) === request.headers[field]
  })
}

function hasValidator(policy: CachePolicy): boolean {
  const { resh } = policy.toObject()
  return resh.etag !== undefined || resh['last-modified'] !== undefined
}

/** About what the headers of a stored response weigh. */
function headerBytes(policy: CachePolicy): number {
  let bytes = 0
  for (const [name, value] of Object.entries(policy.toObject().resh)) bytes += name.length + String(value ?? '').length + 4
  return bytes
}

/** Flat [name, value, …] to the object http-cache-semantics reads; a repeated field's values joined by ', '. */
function toHeaderObject(flat: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    const value = flat[i + 1] as string
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return headers
}
