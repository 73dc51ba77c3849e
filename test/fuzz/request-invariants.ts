// The invariants one request case is checked against, from what the client saw and what the origin received.
import type { Outcome } from './raw-exchange.js'
import type { Received } from './recording-origin.js'
import { caseToken, type RequestCase } from './request-case.js'

/** Every invariant the request fuzz checks; the names appear in reports and in the tap test. */
export const INVARIANTS = {
  'proxy-crash': 'the proxy process exited (an uncaught exception or a fatal error)',
  'proxy-down': 'a good request after a batch did not get 200 with the right body',
  'smuggled': 'a request hidden in another one, or one without a case token, reached the origin',
  'must-refuse': 'a request the RFC requires refusing reached the origin (or completed there)',
  'refused-reached': 'the origin received a request whose client got no answer from the origin (a proxy 4xx/5xx, a close, or nothing)',
  'bad-input-5xx': 'the proxy answered 5xx to client input: bad input gets a 4xx, good input is forwarded',
  'target-altered': 'the origin received a target that is not origin-form, has a dot-segment or a repeated slash, or lost bytes',
  'header-altered': 'the origin received a header value whose bytes differ from what the client sent',
  'origin-parse-error': 'the origin\'s strict parser refused bytes the proxy forwarded',
} as const

export type Invariant = keyof typeof INVARIANTS

/** One broken invariant. */
export interface Violation {
  invariant: Invariant
  detail: string
}

/** The most request tokens one case uses (pipelined cases). */
const MAX_REQUESTS = 8

/** Every origin record of case `c`, by token. */
export function recordsOf(c: RequestCase, received: Map<string, Received[]>): Received[] {
  const out: Received[] = []
  for (let n = 0; n < MAX_REQUESTS; n++) out.push(...(received.get(caseToken(c.index, n)) ?? []))
  out.push(...(received.get(caseToken(c.index, 's')) ?? []))
  return out
}

/**
 * Checks one case. `crashed`: the proxy died while the case ran, so missing answers are the
 * crash's doing and are not reported again here.
 */
export function checkCase(c: RequestCase, outcome: Outcome, records: Received[], crashed: boolean): Violation[] {
  const out: Violation[] = []
  const seen = (r: Received) => `${r.method} ${JSON.stringify(r.url.slice(0, 200))}${r.completed ? ` with ${r.bodyBytes} body bytes` : ' (body not completed)'}`
  const answered = describeOutcome(outcome)
  for (const r of records) {
    if (r.token.endsWith('_s')) out.push({ invariant: 'smuggled', detail: `the origin received the hidden request ${seen(r)}; client got ${answered}` })
  }
  const visible = records.filter((r) => !r.token.endsWith('_s'))
  if (c.forwarding === 'never' && visible.length > 0) {
    out.push({ invariant: 'must-refuse', detail: `the origin received ${visible.map(seen).join(', ')}; client got ${answered}` })
  }
  if (c.forwarding === 'incomplete' && visible.some((r) => r.completed)) {
    out.push({ invariant: 'must-refuse', detail: `a request with a broken body completed at the origin: ${visible.filter((r) => r.completed).map(seen).join(', ')}; client got ${answered}` })
  }
  if (c.complete && c.route === 'echo' && !crashed) {
    const fromOrigin = new Set(outcome.responses.map((r) => r.origin))
    // a head streamed on and then aborted (a body error found later) is what streaming allows: only whole requests count
    const unanswered = visible.filter((r) => r.completed && !fromOrigin.has(r.token))
    if (unanswered.length > 0) out.push({ invariant: 'refused-reached', detail: `the origin received ${unanswered.map(seen).join(', ')}; client got ${answered}` })
  }
  const proxy5xx = outcome.responses.filter((r) => r.status >= 500 && r.origin === '')
  if (c.route === 'echo' && proxy5xx.length > 0 && !crashed) {
    out.push({ invariant: 'bad-input-5xx', detail: `client got ${answered}` })
  }
  for (const r of visible) {
    const problem = targetProblem(r, c)
    if (problem) out.push({ invariant: 'target-altered', detail: `${problem}: the origin received ${seen(r)}` })
    if (c.exactHeader) {
      const [name, want] = c.exactHeader
      const at = r.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name)
      const got = at < 0 ? undefined : r.rawHeaders[at + 1]
      if (got !== want) out.push({ invariant: 'header-altered', detail: `${name}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}` })
    }
  }
  return out
}

/** Why a received target breaks the target invariant, or undefined. */
function targetProblem(r: Received, c: RequestCase): string | undefined {
  if (c.exactTarget !== undefined && r.url !== c.exactTarget) return `got target ${JSON.stringify(r.url)}, want ${JSON.stringify(c.exactTarget)}`
  if (r.url === '*' && r.method === 'OPTIONS') return undefined
  if (!r.url.startsWith('/')) return 'not origin-form (RFC 9112 §3.2.1: a proxy sends the path, not the absolute URI)'
  const path = r.url.split(/[?#]/)[0] as string
  const segments = path.split('/').map((s) => s.replace(/%2e/gi, '.'))
  if (segments.some((s) => s === '.' || s === '..')) return 'a dot-segment (RFC 3986 §5.2.4) reached the origin'
  if (path.includes('//')) return 'a repeated slash reached the origin (routes match the merged path)'
  return undefined
}

/** The client's side in one line: statuses (o: from the origin, p: from the proxy) and how it ended. */
export function describeOutcome(o: Outcome): string {
  const statuses = o.responses.map((r) => `${r.status}${r.origin ? 'o' : 'p'}`).join(',') || 'no response'
  const end = o.timedOut ? 'no close within the deadline' : o.closedByPeer ? 'closed by the proxy' : 'client left'
  return `[${statuses}], ${end}`
}
