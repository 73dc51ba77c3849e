// What the inspector keeps of one exchange: its row, its C1 and C2 timelines, its headers (secrets masked).
import type { IncomingHttpHeaders } from 'node:http'
import type { Outcome } from '../exchange/hooks.js'

/** One moment of a timeline. */
export interface TimelineEvent {
  /** ms since the exchange started */
  at: number
  /** for an aggregate of chunks: ms of its last chunk */
  to?: number
  what: string
  detail?: string
  /** for chunks: how many this event stands for, and their bytes */
  chunks?: number
  bytes?: number
}

/** One exchange as the page, /events and /har show it; plain JSON. */
export interface ExchangeRecord {
  /** unique among every worker's records */
  id: number
  /** the place of the worker process that served it (workers > 1); undefined with 1 worker */
  worker: number | undefined
  /** bumped on every change: of two copies of a record, the higher is newer */
  v: number
  /** ms since the epoch */
  started: number
  method: string
  /** the path and query as the client sent them */
  path: string
  /** the URL the client asked for: scheme, Host, path and query */
  url: string
  clientAddress: string
  /** the route prefix that matched; undefined until routed (or when refused before) */
  route: string | undefined
  /** the backend of the last attempt */
  backend: string | undefined
  requestHeaders: [string, string][]
  /** the status C1 sent; 0 while none was */
  status: number
  statusText: string
  responseHeaders: [string, string][]
  /** request body bytes read from the client */
  bytesIn: number
  /** response body bytes written to the client */
  bytesOut: number
  /** ms from start to end; undefined while running */
  ms: number | undefined
  outcome: Outcome | 'running'
  /** attempts that failed before the last, each went again on another backend */
  retried: { backend: string; code: string; ms: number }[]
  /** which side ended it: the client left, the backend failed, uproxy itself; undefined for a normal end */
  closedFirst: 'client' | 'backend' | 'proxy' | undefined
  /** the points of the last attempt, ms since start, for HAR's timings */
  marks: { attempt?: number; connected?: number; headSent?: number; firstByte?: number }
  /** the last attempt's connection: new (with connect and TLS times) or reused */
  connection: { reused: boolean; connectMs: number; tlsMs: number | undefined } | undefined
  c1: TimelineEvent[]
  c2: TimelineEvent[]
  /** chunks counted so far on each side, for aggregation */
  c1Chunks: number
  c2Chunks: number
}

/**
 * A record as the recorder keeps it: the headers as C1 and C2 hold them (a copy of the client's
 * flat list, the response's header object), masked and decoded only when someone reads them.
 */
export interface LiveRecord extends Omit<ExchangeRecord, 'requestHeaders' | 'responseHeaders'> {
  readonly rawRequestHeaders: readonly string[]
  rawResponseHeaders: IncomingHttpHeaders | undefined
}

/** `live` as the page, /events and /har read it: header pairs, secrets masked unless `secrets`. */
export function viewRecord(live: LiveRecord, secrets: boolean): ExchangeRecord {
  const { rawRequestHeaders, rawResponseHeaders, ...rest } = live
  return {
    ...rest,
    requestHeaders: copyFlatHeaders(rawRequestHeaders, secrets),
    responseHeaders: rawResponseHeaders ? copyHeaderObject(rawResponseHeaders, secrets) : [],
  }
}

/** Headers whose values are masked unless --inspect-secrets (RFC 9110 §11.6.2, §11.7.2; RFC 6265 §4). */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])

export const MASKED = '[masked]'

/** Chunks listed one by one on a timeline before the rest are summed into one event. */
const CHUNKS_LISTED = 5

/** A header value as text: C1 and C2 keep bytes (one char a byte), shown here as the UTF-8 they most likely are. */
function showValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value
}

/** Flat [name, value, …] → pairs, secrets masked unless `secrets`. */
function copyFlatHeaders(flat: readonly string[], secrets: boolean): [string, string][] {
  const pairs: [string, string][] = []
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i] as string
    pairs.push([name, !secrets && SECRET_HEADERS.has(name) ? MASKED : showValue(flat[i + 1] as string)])
  }
  return pairs
}

/** { name: value | values } → pairs, secrets masked unless `secrets`. */
function copyHeaderObject(headers: IncomingHttpHeaders, secrets: boolean): [string, string][] {
  const pairs: [string, string][] = []
  for (const name in headers) {
    const value = headers[name]
    if (value === undefined) continue
    for (const each of Array.isArray(value) ? value : [value]) {
      pairs.push([name, !secrets && SECRET_HEADERS.has(name) ? MASKED : showValue(each)])
    }
  }
  return pairs
}

/**
 * Adds a chunk of `bytes` to `events`: the first few one by one, then one event summing the rest
 * (a streamed response of 10 000 chunks is one line, not 10 000). `count` is the chunks before this one.
 */
export function addChunk(events: TimelineEvent[], count: number, at: number, bytes: number, what: string): void {
  if (count < CHUNKS_LISTED) return void events.push({ at, what, chunks: 1, bytes })
  const last = events[events.length - 1]
  if (last !== undefined && last.what === what && last.to !== undefined) {
    last.to = at
    last.chunks = (last.chunks ?? 0) + 1
    last.bytes = (last.bytes ?? 0) + bytes
    return
  }
  events.push({ at, to: at, what, chunks: 1, bytes })
}
