// The edge features' libraries load only in a proxy that turns them on: every process, every worker, would pay their memory.
import { createRequire } from 'node:module'
import t from 'tap'
import { startTestProxy } from './helpers/proxy.js'

const EDGE_LIBRARIES = ['ioredis', 'prom-client', 'rate-limiter-flexible', 'http-cache-semantics']

/** The edge libraries this process has loaded (ESM imports of CommonJS packages land in require.cache). */
function loadedEdgeLibraries(): string[] {
  const files = Object.keys(createRequire(import.meta.url).cache)
  return EDGE_LIBRARIES.filter((name) => files.some((file) => file.includes(`/node_modules/${name}/`)))
}

t.test('a plain proxy loads none of them; --metrics, --rate-limit and --cache load theirs', async (t) => {
  await startTestProxy(t, { backend: 'http://127.0.0.1:9' })
  t.same(loadedEdgeLibraries(), [], 'a proxy without edge features')
  await startTestProxy(t, { backend: 'http://127.0.0.1:9', metrics: '127.0.0.1:0', rateLimit: '10/s', cache: '1MB' })
  t.same(loadedEdgeLibraries(), ['prom-client', 'rate-limiter-flexible', 'http-cache-semantics'], 'each feature turned on, without Redis')
})
