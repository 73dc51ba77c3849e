// The buffered exchanges as HAR 1.2 (what browsers' network panels import and export), written entry by entry.
import type { ExchangeRecord } from './exchange-record.js'

/** HAR 1.2 §timings: -1 where a phase does not apply; the others sum to the entry's time. */
interface HarTimings {
  blocked: number
  dns: number
  connect: number
  ssl: number
  send: number
  wait: number
  receive: number
}

const round = (ms: number) => Math.round(ms * 1000) / 1000

/**
 * The timings of the last attempt from its marks: blocked until it began (routing, earlier
 * attempts), connect (TLS included, as HAR says) when the connection was new, send until the head
 * was written, wait until the first byte, receive until the end. A missing mark takes the one before.
 */
function toTimings(record: ExchangeRecord, time: number): HarTimings {
  const { marks, connection } = record
  const clamp = (at: number | undefined, floor: number) => Math.min(time, Math.max(floor, at ?? floor))
  const attempt = clamp(marks.attempt, 0)
  const connected = connection && !connection.reused ? clamp(marks.connected, attempt) : attempt
  const headSent = clamp(marks.headSent, connected)
  const firstByte = clamp(marks.firstByte, headSent)
  return {
    blocked: round(attempt),
    dns: -1,
    connect: connection && !connection.reused ? round(connected - attempt) : -1,
    ssl: connection?.tlsMs === undefined ? -1 : round(connection.tlsMs),
    send: round(headSent - connected),
    wait: round(firstByte - headSent),
    receive: round(time - firstByte),
  }
}

function header(headers: [string, string][], name: string): string {
  return headers.find(([each]) => each === name)?.[1] ?? ''
}

/** One HAR entry; a running exchange counts up to now. */
export function toHarEntry(record: ExchangeRecord, now: number): object {
  const time = round(record.ms ?? Math.max(0, now - record.started))
  const query = record.path.includes('?') ? record.path.slice(record.path.indexOf('?') + 1) : ''
  return {
    startedDateTime: new Date(record.started).toISOString(),
    time,
    request: {
      method: record.method,
      url: record.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: record.requestHeaders.map(([name, value]) => ({ name, value })),
      queryString: [...new URLSearchParams(query)].map(([name, value]) => ({ name, value })),
      headersSize: -1,
      bodySize: record.bytesIn,
    },
    response: {
      status: record.status,
      statusText: record.statusText,
      httpVersion: record.status ? 'HTTP/1.1' : '',
      cookies: [],
      headers: record.responseHeaders.map(([name, value]) => ({ name, value })),
      content: { size: record.bytesOut, mimeType: header(record.responseHeaders, 'content-type') },
      redirectURL: header(record.responseHeaders, 'location'),
      headersSize: -1,
      bodySize: record.status ? record.bytesOut : -1,
    },
    cache: {},
    timings: toTimings(record, time),
    _id: record.id,
    _outcome: record.outcome,
    _route: record.route ?? null,
    _backend: record.backend ?? null,
    _retried: record.retried,
    _closedFirst: record.closedFirst ?? null,
    _connection: record.connection ?? null,
    // left out (undefined) with 1 worker
    _worker: record.worker,
    _c1: record.c1,
    _c2: record.c2,
  }
}

/** The opening of a HAR log up to its entries, and its closing: the entries go between, comma-separated. */
export function harFrame(version: string): { open: string; close: string } {
  const log = JSON.stringify({ log: { version: '1.2', creator: { name: 'uproxy', version }, entries: [] } })
  const at = log.lastIndexOf('[]') + 1
  return { open: log.slice(0, at), close: log.slice(at) }
}
