// Dot-segments are removed before routing and rewriting, `..` is never forwarded, and a fragment never leaves C1.
import t from 'tap'
import { startTestProxy } from './helpers/proxy.js'
import { named, routeAll, send } from './helpers/routed-targets.js'

t.test('with --rewrite, dot-segments (percent-encoded too) never climb out of a route or its base path', async (t) => {
  const origins = { api: await named(t, 'api'), fallback: await named(t, 'fallback') }
  const proxy = await startTestProxy(t, {
    backend: origins.fallback.url, rewrite: true, routes: [{ prefix: '/api', backend: `${origins.api.url}/base` }],
  })
  t.same(await routeAll(proxy.port, origins, [
    '/api/../admin', '/api/%2e%2e/admin', '/api/%2E%2e/admin', '/api/.%2e/admin', '/api/%2e./admin',
    '/x/../api/internal', '/x/%2E%2E/api/internal', '/api/./users/../items?q=..', '/api/x/..', '/api/x/.', '/api/a//../b',
  ]), {
    '/api/../admin': '200 fallback /admin',
    '/api/%2e%2e/admin': '200 fallback /admin',
    '/api/%2E%2e/admin': '200 fallback /admin',
    '/api/.%2e/admin': '200 fallback /admin',
    '/api/%2e./admin': '200 fallback /admin',
    '/x/../api/internal': '200 api /base/internal',
    '/x/%2E%2E/api/internal': '200 api /base/internal',
    '/api/./users/../items?q=..': '200 api /base/items?q=..',
    '/api/x/..': '200 api /base/',
    '/api/x/.': '200 api /base/x/',
    '/api/a//../b': '200 api /base/a/b',
  }, 'want each target routed and forwarded as its path without dot-segments')
})

t.test('a path that climbs above the root: 400, never forwarded', async (t) => {
  const origin = await named(t, 'fallback')
  const proxy = await startTestProxy(t, { backend: origin.url, routes: [{ prefix: '/api', backend: origin.url }] })
  for (const target of ['/..', '/../etc/passwd', '/%2e%2e/x', '/api/../..', '/api/../../x', '/a/./../../b?x']) {
    t.equal(await send(proxy.port, target), '400 400 Bad Request\n', `${target}: want 400`)
  }
  t.same(origin.seen.map((s) => s.url), [], 'want nothing at the origin')
})

t.test('a path without dot-segments is forwarded byte for byte; dots inside a segment are no dot-segments', async (t) => {
  const origin = await named(t, 'fallback')
  const proxy = await startTestProxy(t, { backend: origin.url })
  const targets = ['/a%2Fb/%2e%2e%2fc', '/a/..b/c..', '/a/.../b', '/.well-known/x', '/a/%2e%2e%2F..%2f', '/%41%2e?x=/../']
  t.same(await routeAll(proxy.port, { fallback: origin }, targets),
    Object.fromEntries(targets.map((target) => [target, `200 fallback ${target}`])), 'want each target at the origin as sent')
})

t.test('a #fragment in the request target is cut, with whatever follows it, and never forwarded', async (t) => {
  const origins = { api: await named(t, 'api'), fallback: await named(t, 'fallback') }
  const proxy = await startTestProxy(t, { backend: origins.fallback.url, routes: [{ prefix: '/api', backend: origins.api.url }] })
  t.same(await routeAll(proxy.port, origins, ['/api/x#frag', '/api/x?q=1#frag', '/public#/../api/x', '/x#frag?q=1', '/api/x?q=#']), {
    '/api/x#frag': '200 api /api/x',
    '/api/x?q=1#frag': '200 api /api/x?q=1',
    '/public#/../api/x': '200 fallback /public',
    '/x#frag?q=1': '200 fallback /x',
    '/api/x?q=#': '200 api /api/x?q=',
  }, 'want each target without its fragment')
})
