// The inspector's ears: hooks and a watcher that turn each exchange into a record, kept in a ring and told to listeners.
import { STATUS_CODES } from 'node:http'
import type { C2RequestHead, C2ResponseHead, Exchange, ExchangeEnd, Hooks } from '../exchange/hooks.js'
import type { C2Connection, ExchangeWatcher } from '../exchange/watcher.js'
import { addChunk, viewRecord, type ExchangeRecord, type LiveRecord } from './exchange-record.js'
import type { ExchangeSource } from './exchange-source.js'
import { Ring } from './ring.js'

/** What /events sends: one exchange event, naming the exchange, with its record as it stands. */
export interface InspectorEvent {
  type: 'started' | 'attempt' | 'response-head' | 'progress' | 'ended'
  id: number
  path: string
  exchange: ExchangeRecord
}

/** Which worker process records, when there are several: its records' ids and marker. */
export interface RecordingWorker {
  /** its place among the workers, 0-based */
  readonly index: number
  readonly workers: number
  /** the microseconds since the main process started, when this worker did */
  readonly firstId: number
}

/** How often a running exchange's new chunks are told to listeners, at most. */
const PROGRESS_MS = 250

/** ms to the hundredth. */
const round = (ms: number) => Math.round(ms * 100) / 100

/** ms since the exchange started, to the hundredth. */
function sinceStart(exchange: Exchange): number {
  return round(performance.now() - exchange.request.startedAt)
}

/**
 * Records every exchange: `first` (ahead of uproxy's own hooks) opens its record in the request
 * phase, so a refused request has one too; `last` (after every other hook) sees the request and
 * response heads as they go out, and closes the record at the end; `watcher` fills the timelines.
 * The last `capacity` records are kept; a running one is also held until it ends.
 */
export class Recorder implements ExchangeSource<LiveRecord> {
  readonly first: Hooks
  readonly last: Hooks
  readonly watcher: ExchangeWatcher
  private readonly ring: Ring<LiveRecord>
  /**
   * running records (and those ended this turn), by their exchange. Not a Map: one entry in and
   * out per exchange rebuilds a Map's table again and again, each obsolete table pointing to the
   * next, and a chain of them reaching the old generation keeps every record alive through young
   * collections (measured: 1 KB promoted per request)
   */
  private readonly live = new WeakMap<Exchange, LiveRecord>()
  private readonly listeners = new Set<(line: string) => void>()
  /** running records with chunks not yet told to listeners */
  private readonly dirty = new Set<LiveRecord>()
  private progressTimer: NodeJS.Timeout | undefined
  /** exchanges whose records ended, still open to the watcher until the next turn: C2 reports its end after C1's (tryEnd completes a known length) */
  private ended: Exchange[] = []

  /**
   * A record's id is (firstId + the exchange's id) × stride + the worker's place: with workers, the
   * stride is their number, so that two workers never give one id, and a replacement's firstId is
   * past every id its predecessor gave (unless that one served more than an exchange a
   * microsecond). Alone: the exchange's id.
   */
  private readonly firstId: number
  private readonly stride: number
  /** the records' worker marker, its place; undefined alone */
  private readonly worker: number | undefined

  constructor(capacity: number, private readonly secrets: boolean, worker?: RecordingWorker) {
    this.ring = new Ring(capacity)
    this.firstId = worker?.firstId ?? 0
    this.stride = worker?.workers ?? 1
    this.worker = worker?.index
    this.first = { c1Request: (exchange) => void this.open(exchange) }
    this.last = {
      c2Request: (exchange, head) => this.attempt(exchange, head),
      c2ResponseHead: (exchange, head) => this.responseHead(exchange, head),
      end: (exchange, end) => this.close(exchange, end),
    }
    this.watcher = this.makeWatcher()
  }

  /** The records kept, oldest first (running ones included). */
  records(): LiveRecord[] {
    return this.ring.toArray()
  }

  /** `record` as it is shown: headers as text, secrets masked unless --inspect-secrets. */
  view(record: LiveRecord): ExchangeRecord {
    return viewRecord(record, this.secrets)
  }

  /** Calls `listener` with each event as one JSON line, from now on; returns the unsubscribe. */
  subscribe(listener: (line: string) => void): () => void {
    this.listeners.add(listener)
    this.progressTimer ??= setInterval(() => this.tellProgress(), PROGRESS_MS).unref()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size > 0) return
      clearInterval(this.progressTimer)
      this.progressTimer = undefined
      this.dirty.clear()
    }
  }

  private open(exchange: Exchange): void {
    const { method, url, query, headers, clientAddress, startedAt } = exchange.request
    const path = query ? `${url}?${query}` : url
    let host = 'unknown-host'
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'host') host = headers[i + 1] as string
    const record: LiveRecord = {
      id: (this.firstId + exchange.id) * this.stride + (this.worker ?? 0), worker: this.worker, v: 0,
      started: performance.timeOrigin + startedAt, method, path, url: `${exchange.proto}://${host}${path}`, clientAddress, route: undefined, backend: undefined, rawRequestHeaders: headers.slice(),
      status: 0, statusText: '', rawResponseHeaders: undefined, bytesIn: 0, bytesOut: 0, ms: undefined, outcome: 'running',
      retried: [], closedFirst: undefined, marks: {}, connection: undefined,
      c1: [{ at: 0, what: 'request head', detail: `${method} ${path}` }], c2: [], c1Chunks: 0, c2Chunks: 0,
    }
    this.live.set(exchange, record)
    this.ring.push(record)
    this.tell('started', record)
  }

  private attempt(exchange: Exchange, head: C2RequestHead): void {
    const record = this.live.get(exchange)
    if (!record) return
    const at = sinceStart(exchange)
    record.backend = head.backend.url
    record.marks = { attempt: at }
    record.connection = undefined
    record.c2.push({ at, what: 'attempt', detail: `${head.method} ${head.backend.origin}${head.path}` })
    this.tell('attempt', record)
  }

  private responseHead(exchange: Exchange, head: C2ResponseHead): void {
    const record = this.live.get(exchange)
    if (!record) return
    const at = sinceStart(exchange)
    record.status = head.status
    record.statusText = head.statusText ?? STATUS_CODES[head.status] ?? ''
    record.rawResponseHeaders = head.headers
    record.c2.push({ at, what: 'response head', detail: String(head.status) })
    record.c1.push({ at, what: 'response head', detail: `${head.status}, written with the first body bytes` })
    this.tell('response-head', record)
  }

  private close(exchange: Exchange, end: ExchangeEnd): void {
    const record = this.live.get(exchange)
    if (!record || record.ms !== undefined) return
    if (this.ended.push(exchange) === 1) setImmediate(() => this.forgetEnded())
    const at = sinceStart(exchange)
    record.ms = round(end.ms)
    record.outcome = end.outcome
    record.bytesOut = end.bytes
    // 499 is the access log's word for "the client left": nothing of it went out
    if (end.outcome !== 'client-gone' && record.status !== end.status) {
      record.status = end.status
      record.statusText = STATUS_CODES[end.status] ?? ''
    }
    record.retried = end.retried.map((attempt) => ({ backend: attempt.backend.url, code: attempt.code, ms: round(attempt.ms) }))
    record.closedFirst = end.outcome === 'client-gone' ? 'client'
      : end.outcome === 'backend-error' || end.outcome === 'timeout' ? 'backend'
      : end.outcome === 'internal-error' ? 'proxy' : undefined
    const what = end.outcome === 'client-gone' ? 'client closed first' : end.outcome === 'complete' ? 'end' : end.outcome
    record.c1.push({ at, what, detail: `${end.status === 499 && end.outcome === 'client-gone' ? 'no' : end.status} status, ${end.bytes} B sent` })
    this.tell('ended', record)
  }

  private forgetEnded(): void {
    for (const exchange of this.ended) this.live.delete(exchange)
    this.ended = []
  }

  private makeWatcher(): ExchangeWatcher {
    const on = (exchange: Exchange, change: (record: LiveRecord, at: number) => void) => {
      const record = this.live.get(exchange)
      if (!record) return
      change(record, sinceStart(exchange))
      record.v++
      if (this.listeners.size > 0) this.dirty.add(record)
    }
    return {
      routed: (exchange, prefix) => on(exchange, (record, at) => {
        record.route = prefix
        record.c1.push({ at, what: 'routed', detail: prefix })
      }),
      c1Body: (exchange, bytes) => on(exchange, (record, at) => {
        addChunk(record.c1, record.c1Chunks++, at, bytes, 'request body')
        record.bytesIn += bytes
      }),
      c2Connection: (exchange, connection: C2Connection) => on(exchange, (record, at) => {
        record.connection = { reused: connection.reused, connectMs: round(connection.connectMs), tlsMs: connection.tlsMs && round(connection.tlsMs) }
        record.marks.connected = at
        record.c2.push({ at, what: connection.reused ? 'connection reused' : 'new connection', detail: connection.reused ? undefined
          : `connect ${connection.connectMs.toFixed(2)} ms${connection.tlsMs === undefined ? '' : `, TLS handshake ${connection.tlsMs.toFixed(2)} ms`}` })
      }),
      c2HeadSent: (exchange) => on(exchange, (record, at) => {
        record.marks.headSent = at
        record.c2.push({ at, what: 'request head sent' })
      }),
      c2FirstByte: (exchange) => on(exchange, (record, at) => {
        record.marks.firstByte = at
        record.c2.push({ at, what: 'first byte' })
      }),
      c2Body: (exchange, bytes) => on(exchange, (record, at) => addChunk(record.c2, record.c2Chunks++, at, bytes, 'response body')),
      c2End: (exchange) => on(exchange, (record, at) => void record.c2.push({ at, what: 'end' })),
      c2Error: (exchange, code) => on(exchange, (record, at) => void record.c2.push({
        at, what: code === 'UPROXY_CLIENT_GONE' ? 'aborted: the client left' : 'failed', detail: code,
      })),
    }
  }

  private tellProgress(): void {
    for (const record of this.dirty) this.tell('progress', record)
    this.dirty.clear()
  }

  private tell(type: InspectorEvent['type'], record: LiveRecord): void {
    record.v++
    if (this.listeners.size === 0) return
    if (type !== 'progress') this.dirty.delete(record)
    const event: InspectorEvent = { type, id: record.id, path: record.path, exchange: this.view(record) }
    const line = JSON.stringify(event)
    for (const listener of this.listeners) listener(line)
  }
}
