// Rate limiting as phases: the request phase counts the client and answers 429 over the limit; every answer says where the client stands.
import type { Answer, Exchange, Hooks } from '../exchange/hooks.js'
import type { Limiter, Verdict } from './limiter.js'

/** How a rate-limited proxy finds its client and what it does while the counters' store is away. */
export interface RateLimitOptions {
  /** the client is the last X-Forwarded-For address (set by a proxy in front), not the socket's */
  readonly trustProxy: boolean
  /** open: serve without a limit; closed: 503 */
  readonly fail: 'open' | 'closed'
  /** counts a request answered 429 (the metrics) */
  readonly onLimited?: () => void
}

/**
 * The --rate-limit hooks: a request over its client's limit gets 429 with Retry-After and never
 * reaches a backend; every answer carries RateLimit-Limit, RateLimit-Remaining and
 * RateLimit-Reset (the IETF draft's fields, as Caddy and Envoy send them).
 */
export function rateLimitPhases(limiter: Limiter, { trustProxy, fail, onLimited }: RateLimitOptions): Hooks {
  const verdicts = new WeakMap<Exchange, Verdict & { kind: 'counted' }>()
  return {
    async c1Request(exchange): Promise<Answer | undefined> {
      const verdict = await limiter.consume(clientOf(exchange, trustProxy))
      if (verdict.kind === 'unavailable') {
        return fail === 'open' ? undefined : { status: 503, headers: { 'retry-after': '1' }, body: 'rate limit unavailable\n' }
      }
      if (verdict.allowed) {
        verdicts.set(exchange, verdict)
        return undefined
      }
      onLimited?.()
      const headers = rateLimitHeaders(limiter, verdict)
      return { status: 429, headers: { ...headers, 'retry-after': headers['ratelimit-reset'] }, body: 'Too Many Requests\n' }
    },
    c2ResponseHead(exchange, head) {
      const verdict = verdicts.get(exchange)
      if (verdict) Object.assign(head.headers, rateLimitHeaders(limiter, verdict))
    },
    end(exchange) {
      verdicts.delete(exchange)
    },
  }
}

function rateLimitHeaders(limiter: Limiter, verdict: Verdict & { kind: 'counted' }): Record<string, string> {
  return {
    'ratelimit-limit': String(limiter.rate.points),
    'ratelimit-remaining': String(Math.max(0, verdict.remaining)),
    'ratelimit-reset': String(Math.max(1, Math.ceil(verdict.resetMs / 1000))),
  }
}

/** The socket's address; with `trustProxy`, the last X-Forwarded-For address (what the proxy in front saw), as nginx's real_ip does. */
function clientOf(exchange: Exchange, trustProxy: boolean): string {
  const { headers, clientAddress } = exchange.request
  if (!trustProxy) return clientAddress
  let last: string | undefined
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'x-forwarded-for') last = headers[i + 1]
  const address = last?.split(',').pop()?.trim()
  return address || clientAddress
}
