// Step 8's README: the longest prefix on segment boundaries picks the backend; --rewrite strips it.
import t, { type Test } from 'tap'
import { makeCerts } from './helpers/certs.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin, type Origin } from './helpers/origin.ts'

/** An origin that answers with its name and the path it got. */
const named = (t: Test, name: string) =>
  startOrigin(t, (req, res) => res.end(`${name} got ${req.url}\n`))

t.test('the README run: two step-1 origins, /api routed and rewritten', async (t) => {
  const [main, api] = await Promise.all([
    startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0']),
    startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0']),
  ])
  const proxy = await startStep(t, '08-path-routing', ['--listen', '127.0.0.1:0', '--backend', main.url,
    '--route', `/api=${api.url}`, '--rewrite'])
  t.ok(proxy.stdout.includes(`route /api → ${api.url}/ (prefix stripped)`), 'the route is printed first')
  const got = await send(proxy.url + '/api/headers?x=1')
  t.equal(got.status, 200)
  const seen = JSON.parse(got.body)
  t.equal(seen.url, '/headers?x=1', 'the api origin got the path without /api, query kept')
  t.equal(seen.headers.host, new URL(api.url).host, 'Host is the routed backend')
  await api.waitForLine(/^origin: GET \/headers\?x=1 /)
  t.equal((await send(proxy.url + '/apis')).body, 'origin server response\n', '/apis is not /api: default backend')
  await main.waitForLine(/^origin: GET \/apis /)
})

t.test('route matching and rewriting', async (t) => {
  const origins: Record<string, Origin> = {}
  for (const name of ['main', 'api', 'apiv2', 'root']) origins[name] = await named(t, name)
  const routeArgs = ['--route', `/api=${origins.api!.url}`, '--route', `/api/v2/=${origins.apiv2!.url}`]
  const [plain, rewrite] = await Promise.all([
    startStep(t, '08-path-routing', ['--listen', '127.0.0.1:0', '--backend', origins.main!.url, ...routeArgs]),
    startStep(t, '08-path-routing', ['--listen', '127.0.0.1:0', '--backend', origins.main!.url, ...routeArgs, '--rewrite']),
  ])
  const cases: [string, string, string][] = [
    // request, without --rewrite, with --rewrite
    ['/api', 'api got /api', 'api got /'],
    ['/api/', 'api got /api/', 'api got /'],
    ['/api/x/y', 'api got /api/x/y', 'api got /x/y'],
    ['/api?q=1', 'api got /api?q=1', 'api got /?q=1'],
    ['/api/x?q=1', 'api got /api/x?q=1', 'api got /x?q=1'],
    ['/apis', 'main got /apis', 'main got /apis'],
    ['/api2', 'main got /api2', 'main got /api2'],
    ['/api/v2', 'apiv2 got /api/v2', 'apiv2 got /'],
    ['/api/v2/users?id=3', 'apiv2 got /api/v2/users?id=3', 'apiv2 got /users?id=3'],
    ['/api/v20', 'api got /api/v20', 'api got /v20'],
    ['/', 'main got /', 'main got /'],
    ['/other/api', 'main got /other/api', 'main got /other/api'],
  ]
  for (const [path, want, wantRewritten] of cases) {
    t.equal((await send(plain.url + path)).body, want + '\n', `${path} → ${want}`)
    t.equal((await send(rewrite.url + path)).body, wantRewritten + '\n', `${path} with --rewrite → ${wantRewritten}`)
  }
  t.equal(origins.apiv2!.seen[0]!.headers.host, origins.apiv2!.host, 'Host follows the route')
})

t.test('a malformed --route is a usage error', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tutorials/08-path-routing/main.ts', '--route', 'api'],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 20_000 })
  t.equal(run.status, 2)
  t.equal(run.stderr.trim(), '--route api: want /PREFIX=URL')
})

t.test('no --ca: a route to an https backend, trusted through NODE_EXTRA_CA_CERTS', async (t) => {
  const certs = makeCerts()
  t.teardown(certs.cleanup)
  const [main, api] = await Promise.all([named(t, 'main'),
    startOrigin(t, (req, res) => res.end(`api got ${req.url}\n`), { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })])
  const proxy = await startStep(t, '08-path-routing', ['--listen', '127.0.0.1:0', '--backend', main.url,
    '--route', `/api=${api.url}`, '--rewrite'], { NODE_EXTRA_CA_CERTS: certs.caFile })
  t.equal((await send(proxy.url + '/api/x?q=1')).body, 'api got /x?q=1\n', 'routed over TLS and rewritten')
  t.equal(api.seen[0]!.headers.host, api.host, 'Host is the https backend')
  t.equal((await send(proxy.url + '/')).body, 'main got /\n')
})
