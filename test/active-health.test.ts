// Active health over real sockets: a backend whose probe fails leaves the rotation, one stderr line per change, and returns on the next passing probe.
import t from 'tap'
import { startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy } from './helpers/proxy.js'

async function sequence(url: string, n: number): Promise<string> {
  let names = ''
  for (let i = 0; i < n; i++) {
    const { status, name } = await whoServes(url)
    names += status === 200 ? name : `(${status})`
  }
  return names
}

t.test('--health-path: 503 takes a backend out, 200 brings it back; one line per transition', async (t) => {
  const health: Record<string, number> = {}
  const [a, b] = await startNamedOrigins(t, ['a', 'b'], health)
  const run = await startCliProxy(t, [`${a!.url},${b!.url}`, '--health-path', '/healthz', '--health-interval', '0.05', '--quiet'])
  await waitFor(() => a!.seen.includes('/healthz') && b!.seen.includes('/healthz'), 'a first probe of each backend')
  t.equal(await sequence(run.url, 4), 'abab', 'both up')
  health.a = 503
  const down = new RegExp(`^uproxy: backend ${a!.url} is down: probe /healthz answered 503$`, 'm')
  await waitFor(() => down.test(run.stderr()), 'the down line')
  t.equal(await sequence(run.url, 6), 'bbbbbb', 'a is out of rotation')
  const probes = a!.seen.filter((p) => p === '/healthz').length
  await waitFor(() => a!.seen.filter((p) => p === '/healthz').length >= probes + 3, 'three more failing probes')
  health.a = 200
  const up = new RegExp(`^uproxy: backend ${a!.url} is up: probe /healthz answered 200$`, 'm')
  await waitFor(() => up.test(run.stderr()), 'the up line')
  t.match(await sequence(run.url, 4), /a/, 'a serves again')
  const transitions = run.stderr().split('\n').filter((line) => line.includes(' is down') || line.includes(' is up'))
  t.equal(transitions.length, 2, `one line per transition, none per probe: ${JSON.stringify(transitions)}`)
  t.equal(a!.seen.filter((p) => p === '/').length, 4, 'a served exactly its share before and after, nothing while down')
})

t.test('a backend that stops answering probes is out until it answers again', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const run = await startCliProxy(t, [`${a!.url},${b!.url}`, '--health-path', '/healthz', '--health-interval', '0.05',
    '--fail-timeout', '600', '--quiet'])
  await a!.kill()
  // refused, or reset if the kill caught a probe under way
  await waitFor(() => new RegExp(`backend ${a!.url} is down: probe /healthz failed: .*(ECONNREFUSED|ECONNRESET|UPROXY_C2_CLOSED|UPROXY_C2_STALE_KEEPALIVE)`).test(run.stderr()),
    'a failed probe')
  t.equal(await sequence(run.url, 4), 'bbbb', 'no exchange meets a')
  await a!.revive()
  await waitFor(() => run.stderr().includes(`backend ${a!.url} is up`), 'the next passing probe')
  t.match(await sequence(run.url, 4), /a/, 'a serves again at once, long before the 600 s fail-timeout')
})
