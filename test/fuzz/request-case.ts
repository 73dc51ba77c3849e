// One fuzz case: the raw bytes a client sends, how it behaves, and what a correct proxy may do with it.

/**
 * What may reach the origin: 'never' (the RFC requires refusing the head: nothing of this case
 * may be forwarded), 'incomplete' (the head may be streamed on, but no request may complete at
 * the origin), 'any' (forwarding and refusing are both correct).
 */
export type Forwarding = 'never' | 'incomplete' | 'any'

/** A raw request case, fully determined by (seed, index). */
export interface RequestCase {
  index: number
  /** the generator that made it, and which of its variants */
  generator: string
  variant: string
  /** written in order; a number is that many pattern bytes, made as they are sent (multi-MiB uploads) */
  parts: (Buffer | number)[]
  /** after the last part: keep reading, half-close (FIN), or destroy the socket at once */
  leave: 'stay' | 'half-close' | 'destroy'
  forwarding: Forwarding
  /** whole requests and a client that stays: whatever the origin receives must be answered from the origin */
  complete: boolean
  /** 'early': the origin answers at once without reading the body */
  route: 'echo' | 'early'
  /** the socket is destroyed after this many ms */
  deadlineMs: number
  /** when forwarded, the origin must receive exactly this target (latin1) */
  exactTarget?: string
  /** when forwarded, the origin must receive this header (lowercase name) with exactly these bytes (latin1) */
  exactHeader?: [string, string]
}

/** The token that names request `n` of case `index` ('s': a smuggled request, which must never reach the origin). */
export function caseToken(index: number, n: number | 's'): string {
  return `fz${index.toString(36)}_${n}`
}

/** Finds a case token in a target or header value: [case index, request number or 's']. */
export function parseToken(text: string): [number, string] | undefined {
  const match = /fz([0-9a-z]+)_([0-9]+|s)/.exec(text)
  return match ? [parseInt(match[1] as string, 36), match[2] as string] : undefined
}

/** The pattern byte at offset i of an upload: printable, so a report shows it plainly. */
export function patternBytes(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) out[i] = 97 + ((offset + i) % 26)
  return out
}

/** The case's bytes as one quoted string, long runs elided, for a report that can be replayed by hand. */
export function describeBytes(c: RequestCase, max = 1500): string {
  return quoteBytes(c.parts.map((part) => typeof part === 'number' ? `<${part} pattern bytes a-z>` : part.toString('latin1')).join(''), max)
}

/** Latin1 text quoted with every byte outside 0x20-0x7E escaped (\r, \n, \t, \xHH), cut at `max` characters. */
export function quoteBytes(text: string, max = 1500): string {
  const escapes: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t', '"': '\\"', '\\': '\\\\' }
  const quoted = `"${text.replace(/[^\x20-\x7e]|["\\]/g, (ch) => escapes[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`
  return quoted.length > max ? `${quoted.slice(0, max)}… (${quoted.length} chars)` : quoted
}
