// Before any timing: every target must return byte-identical bodies for every workload.
import { gunzipSync } from 'node:zlib'
import { request } from 'undici'
import { RawConnection, requestHead } from './raw-client.js'
import type { Party } from './targets.js'
import type { Workload } from './workloads.js'

/** Throws, naming the target and workload, unless both clients get exactly the expected bytes. */
export async function verifyBodies (target: Party, workloads: readonly Workload[]): Promise<void> {
  for (const w of workloads) {
    // Through undici: an independent HTTP parser.
    const res = await request(new URL(w.path, target.url), {
      method: w.method,
      body: w.body,
      headers: { ...w.headers, ...(w.body === null ? {} : { 'content-type': 'application/octet-stream' }) },
    })
    const got = Buffer.from(await res.body.arrayBuffer())
    check(target, w, 'undici', res.statusCode, res.headers['content-encoding'] === 'gzip' ? gunzipSync(got) : got)
    // Through the load generator's own client, twice on one connection (keep-alive framing).
    const conn = await RawConnection.open(Number(target.url.port), target.url.hostname)
    try {
      const head = requestHead(w.method, w.path, target.url.host, w.body === null ? null : w.body.length, w.headers)
      for (let i = 0; i < 2; i++) {
        const raw = await conn.request(head, w.body, true)
        // the raw client keeps no headers: a gzip body is told by its magic bytes (the plain bodies never start so)
        const body = raw.body![0] === 0x1f && raw.body![1] === 0x8b ? gunzipSync(raw.body!) : raw.body!
        check(target, w, 'raw client', raw.status, body)
      }
    } finally {
      conn.close()
    }
  }
}

/** For the --h2 targets: which protocol did the proxy speak to the TLS backend? (`1.1` or `2.0`) */
export async function verifyBackendProtocol (target: Party, want: string): Promise<void> {
  const res = await request(new URL('/version', target.url))
  const got = await res.body.text()
  if (res.statusCode !== 200 || got !== want) {
    throw new Error(`${target.name}: the backend saw HTTP/${got} (status ${res.statusCode}), want HTTP/${want}`)
  }
}

function check (target: Party, w: Workload, via: string, status: number, got: Buffer): void {
  if (status !== 200) throw new Error(`${target.name} ${w.name} (${via}): got status ${status}, want 200`)
  if (!got.equals(w.expected)) {
    let at = 0
    while (at < got.length && got[at] === w.expected[at]) at++
    throw new Error(`${target.name} ${w.name} (${via}): got ${got.length} bytes, want ${w.expected.length}; first difference at byte ${at}`)
  }
}
