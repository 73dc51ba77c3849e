// Load balancing over real sockets: round-robin's exact cycle and weights, least-connections under held requests, ip-hash per client address, two random choices.
import t from 'tap'
import { request } from 'undici'
import { clientFrom, startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

/** `n` GETs one after another; the names of the origins that served them, joined ('(502)' for a failure). */
async function sequence(url: string, n: number, path = '/'): Promise<string> {
  let names = ''
  for (let i = 0; i < n; i++) {
    const { status, name } = await whoServes(url, path)
    names += status === 200 ? name : `(${status})`
  }
  return names
}

const count = (text: string, name: string) => [...text].filter((n) => n === name).length

t.test('round-robin (the default) serves each backend in turn, in an exact cycle', async (t) => {
  const [a, b, c] = await startNamedOrigins(t, ['a', 'b', 'c'])
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url, c!.url] })
  t.equal(await sequence(proxy.url, 9), 'abcabcabc')
})

t.test('weights share the exchanges in proportion, spread out (URL*3 from the CLI)', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const run = await startCliProxy(t, [`${a!.url}*3,${b!.url}`, '--quiet'])
  const got = await sequence(run.url, 12)
  t.equal(count(got, 'a'), 9, `a:b 3:1 over whole cycles, got ${got}`)
  t.equal(count(got, 'b'), 3, `b once per cycle, got ${got}`)
  t.notMatch(got, /aaaa/, 'smooth: never four in a row from the heavier backend')
})

t.test('least-connections sends to the idle backend while the other holds a request', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: `${a!.url},${b!.url}`, balance: 'least-connections' })
  const held = request(`${proxy.url}/hold`)
  await waitFor(() => a!.held.length + b!.held.length === 1, 'the held request at one backend')
  const busy = a!.held.length === 1 ? 'a' : 'b'
  const idle = busy === 'a' ? 'b' : 'a'
  t.equal(await sequence(proxy.url, 8), idle.repeat(8), `all eight go to ${idle} while ${busy} holds one`)
  a!.release()
  b!.release()
  t.equal(await (await held).body.text(), busy, 'the held request completes where it was sent')
  const after = await sequence(proxy.url, 4)
  t.ok(count(after, 'a') === 2 && count(after, 'b') === 2, `both idle again: shared, got ${after}`)
})

t.test('ip-hash keeps each client address on one backend, and spreads addresses over the backends', async (t) => {
  const origins = await startNamedOrigins(t, ['a', 'b', 'c'])
  const proxy = await startTestProxy(t, { backend: origins.map((o) => o.url), balance: 'ip-hash' })
  const homes = new Map<string, string>()
  for (let i = 2; i < 14; i++) {
    const address = `127.0.0.${i}`
    const client = clientFrom(t, proxy.url, address)
    let names = ''
    for (let k = 0; k < 5; k++) names += (await whoServes(proxy.url, '/', { client })).name
    t.match(names, /^(a{5}|b{5}|c{5})$/, `client ${address}: one backend for all five, got ${names}`)
    homes.set(address, names[0] as string)
  }
  t.ok(new Set(homes.values()).size >= 2, `twelve addresses land on more than one backend: ${[...homes.values()].join('')}`)
})

t.test('two-random-choices uses every backend and answers every request', async (t) => {
  const origins = await startNamedOrigins(t, ['a', 'b', 'c'])
  const proxy = await startTestProxy(t, { backend: origins.map((o) => o.url), balance: 'two-random-choices' })
  const got = (await Promise.all(Array.from({ length: 60 }, () => whoServes(proxy.url)))).map((r) => r.name).join('')
  t.equal(got.length, 60, 'sixty answers, no failure')
  for (const name of 'abc') t.ok(count(got, name) > 0, `${name} served some of them: ${got}`)
})

t.test('a route balances its own backends with its own policy (config file form)', async (t) => {
  const [a, b, c] = await startNamedOrigins(t, ['a', 'b', 'c'])
  const proxy = await startTestProxy(t, {
    backend: c!.url,
    routes: [{ prefix: '/api', backend: [a!.url, `${b!.url}*2`], balance: 'round-robin' }],
  })
  t.equal(await sequence(proxy.url, 6, '/api/x'), 'babbab', 'weights 1:2 on /api, smooth')
  t.equal(await sequence(proxy.url, 3, '/other'), 'ccc', 'the default backend for other paths')
})
