// Live reload over real sockets: SIGHUP re-reads --config under load with zero failed requests; an exchange under way finishes on the old pool; a bad config keeps the old one.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

t.test('proxy.reload(): new backends at once, the exchange under way finishes on the old one, bad options change nothing', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: a!.url })
  const held = request(`${proxy.url}/hold`)
  await waitFor(() => a!.held.length === 1, 'the held request at a')
  await proxy.reload({ listen: { host: '127.0.0.1', port: 0 }, quiet: true, backend: b!.url })
  t.equal((await whoServes(proxy.url)).name, 'b', 'new exchanges go to the new backend')
  a!.release()
  const res = await held
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), 'a', 'the exchange under way finished on the old pool')
  await t.rejects(proxy.reload({ backend: 'ftp://nope' }), { code: 'UPROXY_BAD_CONFIG', message: /^backend: "ftp:\/\/nope" must use http/ })
  await t.rejects(proxy.reload({ backend: b!.url, balance: 'random' as never }), { code: 'UPROXY_BAD_CONFIG', message: /^balance: "random" is not a policy/ })
  t.equal((await whoServes(proxy.url)).name, 'b', 'a rejected reload keeps the running configuration')
})

t.test('SIGHUP under load: zero failed requests; an invalid file is one stderr line and the old config stays', async (t) => {
  const [a, b, c] = await startNamedOrigins(t, ['a', 'b', 'c'])
  const file = join(mkdtempSync(join(tmpdir(), 'uproxy-reload-')), 'uproxy.json')
  writeFileSync(file, JSON.stringify({ backend: a!.url }))
  const run = await startCliProxy(t, ['--config', file, '--quiet'])
  const served = new Map<string, number>()
  const failures: string[] = []
  let loading = true
  const loop = async () => {
    while (loading) {
      try {
        const { status, name } = await whoServes(run.url)
        if (status !== 200) failures.push(`status ${status}`)
        else served.set(name, (served.get(name) ?? 0) + 1)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const clients = Array.from({ length: 8 }, loop)
  await waitFor(() => (served.get('a') ?? 0) > 50, 'load on a')
  writeFileSync(file, JSON.stringify({ backend: [b!.url, c!.url], balance: 'least-connections' }))
  run.child.kill('SIGHUP')
  await waitFor(() => run.stderr().includes(`uproxy: reloaded ${file}`), 'the reload line')
  const before = (served.get('b') ?? 0) + (served.get('c') ?? 0)
  await waitFor(() => (served.get('b') ?? 0) + (served.get('c') ?? 0) > before + 100, 'load on b and c')
  const onA = served.get('a')
  writeFileSync(file, JSON.stringify({ backend: 'ftp://nope' }))
  run.child.kill('SIGHUP')
  await waitFor(() => run.stderr().includes('reload rejected'), 'the rejection line')
  const after = (served.get('b') ?? 0) + (served.get('c') ?? 0)
  await waitFor(() => (served.get('b') ?? 0) + (served.get('c') ?? 0) > after + 100, 'load still on b and c')
  loading = false
  await Promise.all(clients)
  t.same(failures, [], 'not one request failed across two reloads')
  t.ok((served.get('b') ?? 0) > 0 && (served.get('c') ?? 0) > 0, `both new backends served: ${JSON.stringify([...served])}`)
  t.ok((served.get('a') ?? 0) <= (onA ?? 0) + 8, 'a got nothing new after the reload (beyond exchanges already under way)')
  const lines = run.stderr().trim().split('\n')
  t.same(lines, [
    `uproxy: reloaded ${file}`,
    'uproxy: reload rejected, the running configuration stays: backend: "ftp://nope" must use http:// or https://',
  ], 'one stderr line per reload')
  t.equal(run.child.exitCode, null, 'still running')
})

t.test('SIGHUP without --config is one line and changes nothing', async (t) => {
  const [a] = await startNamedOrigins(t, ['a'])
  const run = await startCliProxy(t, [a!.url, '--quiet'])
  run.child.kill('SIGHUP')
  await waitFor(() => run.stderr().includes('SIGHUP ignored'), 'the ignored line')
  t.equal((await whoServes(run.url)).name, 'a', 'still serving')
})
