// Virtual hosts over real sockets: the Host header (port and case ignored, *.domain wildcards) picks the backends before path routes; unknown hosts get the default.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { startNamedOrigins } from './helpers/named-origins.js'
import { runCli, startCliProxy, startTestProxy } from './helpers/proxy.js'

/** GET `path` with `host` as the Host header: the name of the origin that answered. */
async function servedFor(url: string, host: string, path = '/'): Promise<string> {
  const res = await request(`${url}${path}`, { headers: { host } })
  const text = await res.body.text()
  return res.statusCode === 200 ? text : `(${res.statusCode})`
}

t.test('exact names, then wildcards, then the default; routes apply within the host they belong to', async (t) => {
  const [apex, sub, api, def, top] = await startNamedOrigins(t, ['apex', 'sub', 'api', 'def', 'top'])
  const proxy = await startTestProxy(t, {
    backend: def!.url,
    routes: [{ prefix: '/api', backend: top!.url }],
    vhosts: {
      'example.com': apex!.url,
      '*.example.com': { backend: sub!.url, routes: [{ prefix: '/api', backend: api!.url }] },
    },
  })
  const cases: Array<[host: string, path: string, want: string]> = [
    ['example.com', '/', 'apex'],
    ['EXAMPLE.com:8000', '/x', 'apex'],
    ['example.com.', '/', 'apex'],
    ['example.com', '/api/x', 'apex'],
    ['www.example.com', '/', 'sub'],
    ['a.b.example.com:1', '/page', 'sub'],
    ['www.example.com', '/api/users', 'api'],
    ['www.example.com', '/apis', 'sub'],
    ['example.org', '/', 'def'],
    ['example.org', '/api/x', 'top'],
    ['notexample.com', '/api', 'top'],
    ['127.0.0.1', '/', 'def'],
  ]
  for (const [host, path, want] of cases) t.equal(await servedFor(proxy.url, host, path), want, `Host ${host}, ${path}: want ${want}`)
})

t.test('CLI: --vhost HOST=URL,URL balances within the host; other hosts keep BACKEND', async (t) => {
  const [a1, a2, w, def] = await startNamedOrigins(t, ['a1', 'a2', 'w', 'def'])
  const run = await startCliProxy(t, [def!.url, '--vhost', `app.test=${a1!.url},${a2!.url}`, '--vhost', `*.wild.test=${w!.url}`, '--quiet'])
  const got: string[] = []
  for (let i = 0; i < 4; i++) got.push(await servedFor(run.url, 'app.test'))
  t.same(got, ['a1', 'a2', 'a1', 'a2'], 'round-robin within app.test')
  t.equal(await servedFor(run.url, 'x.wild.test'), 'w')
  t.equal(await servedFor(run.url, 'wild.test'), 'def', 'a wildcard never matches the bare domain')
  t.equal(await servedFor(run.url, 'unknown.test'), 'def')
})

t.test('a bad --vhost is one line and exit 2', async (t) => {
  for (const [arg, message] of [
    ['app.test', /^uproxy: --vhost: "app\.test" is not HOST=URL\[,URL…\]$/m],
    ['app.test:80=http://a', /^uproxy: --vhost: "app\.test:80" is not a host name or \*\.domain \(no port, no path\)$/m],
    ['app.test=ftp://a', /^uproxy: --vhost: "ftp:\/\/a" must use http:\/\/ or https:\/\//m],
  ] as const) {
    const run = runCli(t, ['--listen', '127.0.0.1:0', '--vhost', arg])
    t.equal(await run.exited, 2, `--vhost ${arg}: exit 2`)
    t.match(run.stderr(), message, `--vhost ${arg}: ${message}`)
    t.equal(run.stderr().trim().split('\n').length, 1, `--vhost ${arg}: one line`)
  }
})

t.test('--config: vhosts with their own routes and policy, health and retry options, from the file', async (t) => {
  const [apex1, apex2, api, def] = await startNamedOrigins(t, ['apex1', 'apex2', 'api', 'def'])
  const file = join(mkdtempSync(join(tmpdir(), 'uproxy-vhosts-')), 'uproxy.json')
  writeFileSync(file, JSON.stringify({
    backend: def!.url,
    maxFails: 2, failWindow: 5, failTimeout: 5, retries: 1,
    vhosts: {
      'shop.test': { backend: [apex1!.url, `${apex2!.url}*2`], balance: 'round-robin', routes: [{ prefix: '/api', backend: api!.url, rewrite: true }] },
    },
  }))
  const run = await startCliProxy(t, ['--config', file, '--quiet'])
  const got: string[] = []
  for (let i = 0; i < 3; i++) got.push(await servedFor(run.url, 'shop.test:8000', '/'))
  t.same(got.sort(), ['apex1', 'apex2', 'apex2'], 'weights 1:2 within the vhost')
  t.equal(await servedFor(run.url, 'shop.test', '/api/x'), 'api', "the vhost's own route")
  t.equal(api!.seen[0], '/x', 'rewritten')
  t.equal(await servedFor(run.url, 'other.test', '/api/x'), 'def', 'other hosts: the default')
})
