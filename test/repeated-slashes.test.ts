// Runs of `/` are merged before routing (nginx's merge_slashes), for requests and WebSocket handshakes alike, so `//admin` cannot miss the `/admin` route.
import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { startTestProxy } from './helpers/proxy.js'
import { named, routeAll } from './helpers/routed-targets.js'
import { startWsBackend } from './helpers/ws-backend.js'

/** Two routes and a default backend, each an origin that answers with its name. */
async function threeOrigins(t: Test) {
  return { api: await named(t, 'api'), admin: await named(t, 'admin'), fallback: await named(t, 'fallback') }
}

/** The three origins and a proxy routing /api and /admin to theirs, the rest to the default. */
async function routedProxy(t: Test) {
  const origins = await threeOrigins(t)
  const proxy = await startTestProxy(t, {
    backend: origins.fallback.url,
    routes: [{ prefix: '/api', backend: origins.api.url }, { prefix: '/admin', backend: origins.admin.url }],
  })
  return { origins, proxy }
}

t.test('repeated slashes reach the route they name, and are forwarded merged; the query keeps its slashes', async (t) => {
  const { origins, proxy } = await routedProxy(t)
  t.same(await routeAll(proxy.port, origins, [
    '//admin', '/api//x', '///api///x?q=a//b', '//admin//users//', '/api//', '//', '//apis//x', '/x//../api',
  ]), {
    '//admin': '200 admin /admin',
    '/api//x': '200 api /api/x',
    '///api///x?q=a//b': '200 api /api/x?q=a//b',
    '//admin//users//': '200 admin /admin/users/',
    '/api//': '200 api /api/',
    '//': '200 fallback /',
    '//apis//x': '200 fallback /apis/x',
    // dot-segments go first, as a browser resolves them: `..` removes the empty segment
    '/x//../api': '200 fallback /x/api',
  }, 'want each target at its route\'s backend, its path merged')
})

t.test('with --rewrite and a base path, the merged path is what loses the prefix', async (t) => {
  const origins = await threeOrigins(t)
  const proxy = await startTestProxy(t, {
    backend: origins.fallback.url, rewrite: true,
    routes: [{ prefix: '/api', backend: `${origins.api.url}/base` }, { prefix: '/admin', backend: origins.admin.url }],
  })
  t.same(await routeAll(proxy.port, origins, ['///api///x?q=a//b', '//api', '/api//', '//admin//users']), {
    '///api///x?q=a//b': '200 api /base/x?q=a//b',
    '//api': '200 api /base/',
    '/api//': '200 api /base/',
    '//admin//users': '200 admin /users',
  }, 'want the prefix stripped from the merged path, the query untouched')
})

t.test('a path without repeated slashes or dot-segments is forwarded byte for byte; %2F is no slash', async (t) => {
  const { origins, proxy } = await routedProxy(t)
  t.same(await routeAll(proxy.port, origins, ['/api/x?q=a//b', '/admin/a%2F%2Fb/', '/%2F%2Fadmin', '/%2fadmin', '/api/%2F/x']), {
    '/api/x?q=a//b': '200 api /api/x?q=a//b',
    '/admin/a%2F%2Fb/': '200 admin /admin/a%2F%2Fb/',
    '/%2F%2Fadmin': '200 fallback /%2F%2Fadmin',
    '/%2fadmin': '200 fallback /%2fadmin',
    '/api/%2F/x': '200 api /api/%2F/x',
  }, 'want each target at the origin as sent')
})

t.test('`..;` is an ordinary segment, as in nginx: it never climbs, so it stays on the route it is under', async (t) => {
  const { origins, proxy } = await routedProxy(t)
  t.same(await routeAll(proxy.port, origins, ['/..;/admin', '/api/..;/admin', '/api/..;/..;/admin', '//..;//admin']), {
    '/..;/admin': '200 fallback /..;/admin',
    '/api/..;/admin': '200 api /api/..;/admin',
    '/api/..;/..;/admin': '200 api /api/..;/..;/admin',
    '//..;//admin': '200 fallback /..;/admin',
  }, 'want `..;` forwarded as sent, on the route its prefix names')
})

t.test('a WebSocket handshake to //ws-route is routed like a request: to the /ws-route backend, path merged', async (t) => {
  const backend = await startWsBackend(t)
  const proxy = await startTestProxy(t, { backend: 'http://127.0.0.1:9', routes: [{ prefix: '/ws-route', backend: backend.url }] })
  const ws = new WebSocket(`${proxy.url.replace(/^http/, 'ws')}//ws-route//room?id=a//b`)
  t.teardown(() => ws.terminate())
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  t.equal(backend.handshakes[0]?.url, '/ws-route/room?id=a//b', 'want the merged path, the query untouched')
  ws.send('through')
  const echoed = await new Promise((resolve) => ws.once('message', (data) => resolve(String(data))))
  t.equal(echoed, 'through', 'want the tunnel open to the route\'s backend')
})
