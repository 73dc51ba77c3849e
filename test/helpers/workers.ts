// Helpers of the --workers tests: the worker processes behind a proxy, and a load over many keep-alive connections.
import type { Test } from 'tap'
import { Pool } from 'undici'
import type { Proxy } from '../../src/index.js'
import type { WorkerSet } from '../../src/workers/worker-set.js'

/** The worker processes behind a proxy started with workers > 1. */
export const workersOf = (proxy: Proxy) => proxy as WorkerSet

/** `total` GETs of /n0… over `connections` keep-alive connections; resolves with the statuses that were not 200. */
export async function load(t: Test, url: string, total: number, connections: number): Promise<string[]> {
  const pool = new Pool(url, { connections })
  t.teardown(() => pool.destroy())
  const bad: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: connections }, async () => {
    for (let i = next++; i < total; i = next++) {
      const res = await pool.request({ path: `/n${i}`, method: 'GET' })
      await res.body.text()
      if (res.statusCode !== 200) bad.push(`/n${i}: ${res.statusCode}`)
    }
  }))
  return bad
}
