// The load generator's connections: `concurrency` keep-alive senders, raw sockets or an undici Pool.
import { Pool } from 'undici'
import { RawConnection, requestHead } from './raw-client.js'
import type { Workload } from './workloads.js'

/** Sends one request of the workload; resolves with the response body's byte count, rejects on non-200. */
export type Sender = () => Promise<number>

export type ClientKind = 'raw' | 'undici' | 'wrk'

export interface Senders {
  senders: Sender[]
  close: () => Promise<void>
}

/** Open `concurrency` senders to `url`, each on its own keep-alive connection. */
export async function openSenders (kind: 'raw' | 'undici', url: URL, workload: Workload, concurrency: number): Promise<Senders> {
  return kind === 'raw' ? openRaw(url, workload, concurrency) : openUndici(url, workload, concurrency)
}

async function openRaw (url: URL, workload: Workload, concurrency: number): Promise<Senders> {
  const head = requestHead(workload.method, workload.path, url.host, workload.body === null ? null : workload.body.length, workload.headers)
  const conns = await Promise.all(Array.from({ length: concurrency }, () => RawConnection.open(Number(url.port), url.hostname)))
  const senders = conns.map((conn): Sender => async () => {
    const res = await conn.request(head, workload.body, false)
    if (res.status !== 200) throw new Error(`${workload.path}: status ${res.status}, want 200`)
    return res.bodyBytes
  })
  return { senders, close: async () => { for (const c of conns) c.close() } }
}

async function openUndici (url: URL, workload: Workload, concurrency: number): Promise<Senders> {
  const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1 })
  const headers = { ...workload.headers, ...(workload.body === null ? {} : { 'content-type': 'application/octet-stream' }) }
  const send: Sender = () => new Promise<number>((resolve, reject) => {
    let bytes = 0
    let status = 0
    pool.dispatch({ origin: url.origin, path: workload.path, method: workload.method, headers, body: workload.body }, {
      onRequestStart () {},
      onResponseStart (_controller, statusCode) { status = statusCode },
      onResponseData (_controller, chunk) { bytes += chunk.length },
      onResponseEnd () {
        if (status === 200) resolve(bytes)
        else reject(new Error(`${workload.path}: status ${status}, want 200`))
      },
      onResponseError (_controller, err) { reject(err) },
    })
  })
  // Warm the pool up to `concurrency` connections before timing.
  await Promise.all(Array.from({ length: concurrency }, send))
  return { senders: Array.from({ length: concurrency }, () => send), close: () => pool.close() }
}
