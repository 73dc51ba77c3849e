// Passive health and retries over real sockets: a killed backend costs no client an error, POSTs are never replayed, the backend comes back after fail-timeout.
import t from 'tap'
import { startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

/** `n` GETs one after another: the names that served them, '(502)' for a failure. */
async function sequence(url: string, n: number, path = '/'): Promise<string> {
  let names = ''
  for (let i = 0; i < n; i++) {
    const { status, name } = await whoServes(url, path)
    names += status === 200 ? name : `(${status})`
  }
  return names
}

/** GETs one after another until `name` serves one, for at most `ms`: the transcript, and how long it took. */
async function untilServedBy(url: string, name: string, ms: number): Promise<{ got: string; ms: number }> {
  const start = Date.now()
  let got = ''
  // the transcript is the finding either way: a timeout leaves it to the assertions to report
  await waitFor(async () => (got += await sequence(url, 1)).endsWith(name), `${name} to serve`, ms).catch(() => undefined)
  return { got, ms: Date.now() - start }
}

t.test('a backend killed mid-run: every GET still succeeds, and the backend is used again after fail-timeout', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url], failTimeout: 1 })
  t.equal(await sequence(proxy.url, 4), 'abab', 'both serve')
  await a!.kill()
  t.equal(await sequence(proxy.url, 20), 'b'.repeat(20), 'no error after the kill: the first failure is retried on b, then a is out')
  await a!.revive()
  const { got, ms } = await untilServedBy(proxy.url, 'a', 5000)
  t.match(got, /^b*a$/, `a serves again once fail-timeout (1 s) is over, got ${got}`)
  t.ok(ms < 2000, `within about a second of its return, took ${ms} ms`)
})

t.test('a reset mid-exchange: GET is retried on the other backend, POST with a body is not; POST refused at connect is', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  // max-fails high: a stays in rotation, so every other exchange meets it first
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url], maxFails: 1000 })
  a!.cut = true
  t.equal(await sequence(proxy.url, 4), 'bbbb', 'GET: reset at a, answered by b')
  const posts: string[] = []
  for (let i = 0; i < 4; i++) {
    const { status, name } = await whoServes(proxy.url, '/items', { method: 'POST', body: 'new item' })
    posts.push(status === 200 ? name : String(status))
  }
  t.same(posts.sort(), ['502', '502', 'b', 'b'], 'POST with a body: never sent twice, so the ones that met a fail')
  t.equal(a!.seen.filter((path) => path === '/items').length, 2, 'a saw those two POSTs once each')
  t.equal(b!.seen.filter((path) => path === '/items').length, 2, 'b only its own two')
  await a!.kill()
  const bare: string[] = []
  for (let i = 0; i < 4; i++) {
    const { status, name } = await whoServes(proxy.url, '/ping', { method: 'POST' })
    bare.push(status === 200 ? name : String(status))
  }
  t.same(bare, ['b', 'b', 'b', 'b'], 'POST without a body, refused before any byte was sent: retried on b')
})

t.test('every backend down: the least recently failed is still tried, so a returning backend answers at once', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url], failTimeout: 60 })
  await a!.kill()
  await b!.kill()
  t.equal(await sequence(proxy.url, 1), '(502)', 'both refused: 502 after trying both')
  await b!.revive()
  t.equal(await sequence(proxy.url, 3), 'bbb', 'both still marked down for 60 s, yet b answers: never 502 blind')
})

t.test('--retries 0 sends each exchange once', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url], retries: 0, maxFails: 1000 })
  await a!.kill()
  t.equal(await sequence(proxy.url, 4), '(502)b(502)b', 'a refused and not retried')
})

t.test('CLI: the access log shows the attempts, stderr says why and when a backend goes out', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const run = await startCliProxy(t, [`${a!.url},${b!.url}`, '--fail-timeout', '30', '--max-fails', '1'])
  await a!.kill()
  t.equal(await sequence(run.url, 3), 'bbb')
  await waitFor(() => run.stdout().split('\n').length >= 5, `three access lines; stdout: ${run.stdout()}`)
  const lines = run.stdout().trimEnd().split('\n').slice(1)
  t.match(lines[0], new RegExp(`^GET / 200 1B [\\d.]+ms ${b!.url} after ${a!.url} ECONNREFUSED$`), 'the first exchange: b, after a refused')
  t.match(lines[1], new RegExp(`^GET / 200 1B [\\d.]+ms ${b!.url}$`), 'then a is out: b at once')
  t.match(run.stderr(), new RegExp(`^uproxy: GET / -> ${a!.url}: .*ECONNREFUSED.*; retrying on ${b!.url}$`, 'm'), 'one line for the failed attempt')
  t.match(run.stderr(), new RegExp(`^uproxy: backend ${a!.url} is down for 30 s: .*ECONNREFUSED`, 'm'), 'one line when a goes out')
})
