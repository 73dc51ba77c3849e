// The inspector's ring holds over 100k exchanges: it keeps the last --inspect-buffer, and memory stays flat.
import t from 'tap'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Pool } from 'undici'
import { readRecords } from './helpers/inspector.js'
import uWS from 'uWebSockets.js'
import { startTestProxy } from './helpers/proxy.js'

const EXCHANGES = 100_000
const CONNECTIONS = 32
const BUFFER = 1000
/**
 * What memory may grow from the sample after the first 20k (ring full, JIT warm) to the end. A
 * ring that kept everything would hold 80k more records of over 1 KiB each (the padding alone).
 * RSS moves by tens of MiB with malloc's arenas and uWS's buffers (98 MiB once in a full suite
 * run, with the heap flat), so what JavaScript holds — heap, Buffers and ArrayBuffers — is held
 * tight, and RSS only against a gross leak.
 */
const RSS_SLACK_MB = 192
const HEAP_SLACK_MB = 16

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** RSS, and the heap with the Buffers and ArrayBuffers it holds, in MiB after a full collection. */
function memoryMb(): { rss: number; heap: number } {
  gc()
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  // external counts arrayBuffers too: take the larger of the two views, not their sum
  return { rss: rss / 1048576, heap: (heapUsed + Math.max(external, arrayBuffers)) / 1048576 }
}

t.test(`${EXCHANGES} exchanges: the inspector keeps the last ${BUFFER}, RSS flat`, async (t) => {
  // a uWS origin: the fastest at hand, so the 100k take seconds, and it keeps nothing of what it served
  const origin = uWS.App().any('/*', (res) => void res.end('ok'))
  const port = await new Promise<number>((resolve, reject) => origin.listen('127.0.0.1', 0, (socket) =>
    socket ? resolve(uWS.us_socket_local_port(socket)) : reject(new Error('the origin cannot listen'))))
  t.teardown(() => (origin as unknown as { close(): void }).close())
  // a path per exchange and a header of 1000 bytes: records are not tiny
  const proxy = await startTestProxy(t, { backend: `http://127.0.0.1:${port}`, inspect: '127.0.0.1:0', inspectBuffer: BUFFER })
  const pool = new Pool(proxy.url, { connections: CONNECTIONS })
  t.teardown(() => pool.close())
  const padding = 'x'.repeat(1000)
  let sent = 0
  const samples: { rss: number; heap: number }[] = []
  const worker = async () => {
    while (sent < EXCHANGES) {
      const n = sent++
      const { statusCode, body } = await pool.request({ path: `/n/${n}`, method: 'GET', headers: { 'x-padding': padding } })
      await body.dump()
      if (statusCode !== 200) throw new Error(`/n/${n}: got ${statusCode}, want 200`)
    }
  }
  const started = Date.now()
  const sampler = setInterval(() => {
    if (sent >= 20_000 && samples.length === 0) samples.push(memoryMb())
  }, 50)
  await Promise.all(Array.from({ length: CONNECTIONS }, worker))
  clearInterval(sampler)
  const end = memoryMb()
  const at20k = samples[0] ?? { rss: NaN, heap: NaN }
  t.comment(`${EXCHANGES} exchanges in ${Date.now() - started} ms; RSS ${at20k.rss.toFixed(1)} MiB at 20k, ${end.rss.toFixed(1)} MiB at the end; `
    + `heap ${at20k.heap.toFixed(1)} → ${end.heap.toFixed(1)} MiB`)
  const records = await readRecords(proxy.inspectorUrl as string)
  t.equal(records.length, BUFFER, `got ${records.length} records, want the last ${BUFFER}`)
  t.equal(records[records.length - 1]?.path.startsWith('/n/'), true, 'the newest is one of them')
  t.ok(records.every((r) => Number(r.path.slice(3)) >= EXCHANGES - BUFFER - CONNECTIONS), 'only the last ones are kept')
  t.ok(samples.length === 1, 'RSS was sampled once the ring was full')
  t.ok(end.rss - at20k.rss < RSS_SLACK_MB, `RSS grew ${(end.rss - at20k.rss).toFixed(1)} MiB from 20k to ${EXCHANGES}, want < ${RSS_SLACK_MB}`)
  t.ok(end.heap - at20k.heap < HEAP_SLACK_MB, `heap grew ${(end.heap - at20k.heap).toFixed(1)} MiB from 20k to ${EXCHANGES}, want < ${HEAP_SLACK_MB}`)
})
