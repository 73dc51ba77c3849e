// Routing over real sockets: longest prefix on segment boundaries, --rewrite, base paths, the default backend.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin, type Origin } from './helpers/origin.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

/** An origin that answers with its name and the path it received. */
const named = (t: Test, name: string) => startOrigin(t, (req, res) => res.end(`${name} ${req.url}`))

/** GETs each path through the proxy and returns what answered: 'name /path-it-saw'. */
async function answers(proxyUrl: string, paths: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const path of paths) {
    const res = await request(`${proxyUrl}${path}`)
    out[path] = `${res.statusCode} ${await res.body.text()}`
  }
  return out
}

async function backends(t: Test): Promise<Record<'api' | 'v2' | 'fallback', Origin>> {
  return { api: await named(t, 'api'), v2: await named(t, 'v2'), fallback: await named(t, 'fallback') }
}

t.test('a route matches its prefix, below it and with a query, never a longer segment; the longest wins', async (t) => {
  const b = await backends(t)
  const proxy = await startTestProxy(t, {
    backend: b.fallback.url,
    routes: [{ prefix: '/api', backend: b.api.url }, { prefix: '/api/v2', backend: b.v2.url }],
  })
  t.same(await answers(proxy.url, ['/api', '/api/', '/api/x', '/api?q', '/apis', '/api-x', '/api/v2', '/api/v2/y?z=1', '/api/v20', '/', '/other']), {
    '/api': '200 api /api',
    '/api/': '200 api /api/',
    '/api/x': '200 api /api/x',
    '/api?q': '200 api /api?q',
    '/apis': '200 fallback /apis',
    '/api-x': '200 fallback /api-x',
    '/api/v2': '200 v2 /api/v2',
    '/api/v2/y?z=1': '200 v2 /api/v2/y?z=1',
    '/api/v20': '200 api /api/v20',
    '/': '200 fallback /',
    '/other': '200 fallback /other',
  }, 'want each path answered by the backend of its longest matching prefix, unrewritten')
})

t.test('rewrite strips the matched prefix, keeps the query and a leading /; the default backend is never rewritten', async (t) => {
  const b = await backends(t)
  const proxy = await startTestProxy(t, {
    backend: b.fallback.url,
    rewrite: true,
    routes: [{ prefix: '/api', backend: b.api.url }, { prefix: '/api/v2/', backend: b.v2.url }],
  })
  t.same(await answers(proxy.url, ['/api', '/api?q', '/api/', '/api/x?q=1', '/api/v2', '/api/v2/y?z', '/apis/x', '/other/x?y']), {
    '/api': '200 api /',
    '/api?q': '200 api /?q',
    '/api/': '200 api /',
    '/api/x?q=1': '200 api /x?q=1',
    '/api/v2': '200 v2 /',
    '/api/v2/y?z': '200 v2 /y?z',
    '/apis/x': '200 fallback /apis/x',
    '/other/x?y': '200 fallback /other/x?y',
  }, 'want route paths stripped to a leading /, query kept, default backend paths untouched')
})

t.test('a backend URL with a path prefixes every forwarded path, after any rewrite', async (t) => {
  const b = await backends(t)
  const plain = await startTestProxy(t, { backend: `${b.fallback.url}/base`, routes: [{ prefix: '/api', backend: `${b.api.url}/v1/` }] })
  t.same(await answers(plain.url, ['/x?q', '/', '/api/users?id=2']), {
    '/x?q': '200 fallback /base/x?q',
    '/': '200 fallback /base/',
    '/api/users?id=2': '200 api /v1/api/users?id=2',
  }, 'no rewrite: want the base path before the whole path')
  const rewriting = await startTestProxy(t, { backend: `${b.fallback.url}/base`, rewrite: true, routes: [{ prefix: '/api', backend: `${b.api.url}/v1` }] })
  t.same(await answers(rewriting.url, ['/x?q', '/api/users?id=2', '/api']), {
    '/x?q': '200 fallback /base/x?q',
    '/api/users?id=2': '200 api /v1/users?id=2',
    '/api': '200 api /v1/',
  }, 'rewrite: want the base path before the stripped path')
})

t.test('each route may set its own rewrite, over the top-level one', async (t) => {
  const b = await backends(t)
  const some = await startTestProxy(t, {
    backend: b.fallback.url,
    routes: [{ prefix: '/strip', backend: b.api.url, rewrite: true }, { prefix: '/keep', backend: b.v2.url }],
  })
  t.same(await answers(some.url, ['/strip/x?q', '/keep/x?q']), { '/strip/x?q': '200 api /x?q', '/keep/x?q': '200 v2 /keep/x?q' },
    'top-level rewrite off: only the route that asks is stripped')
  const most = await startTestProxy(t, {
    backend: b.fallback.url,
    rewrite: true,
    routes: [{ prefix: '/strip', backend: b.api.url }, { prefix: '/keep', backend: b.v2.url, rewrite: false }],
  })
  t.same(await answers(most.url, ['/strip/x?q', '/keep/x?q']), { '/strip/x?q': '200 api /x?q', '/keep/x?q': '200 v2 /keep/x?q' },
    'top-level rewrite on: the route that opts out keeps its prefix')
})

t.test('the CLI: repeated --route PREFIX=URL and --rewrite route the same way', async (t) => {
  const b = await backends(t)
  const cli = await startCliProxy(t, [b.fallback.url, '--quiet', '--rewrite', '--route', `/api=${b.api.url}`, '-r', `/api/v2=${b.v2.url}/base`])
  t.same(await answers(cli.url, ['/api/x?q=1', '/api/v2/y', '/apis', '/']), {
    '/api/x?q=1': '200 api /x?q=1',
    '/api/v2/y': '200 v2 /base/y',
    '/apis': '200 fallback /apis',
    '/': '200 fallback /',
  }, 'want the flag routes, rewritten, with the route base path')
})
