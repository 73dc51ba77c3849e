// balance policies: round-robin's exact and smooth weighted cycles, least-connections, ip-hash stickiness, two random choices.
import t from 'tap'
import { BackendHealth } from '../src/balancing/backend-health.js'
import { createPolicy, parsePolicyName, POLICY_NAMES, type PolicyName } from '../src/balancing/policy.js'
import type { Member } from '../src/balancing/member.js'
import { parseBackend } from '../src/config/backend-url.js'
import { seededRandom } from './helpers/seeded-random.js'

const HEALTH = { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000 }

/** One member per weight, on ports 8001, 8002, …; policies see only their backend and load. */
const members = (...weights: number[]): Member[] => weights.map((weight, i) => {
  const backend = { ...parseBackend(`http://127.0.0.1:${8001 + i}`, 'test'), weight }
  return { backend, load: { inFlight: 0 }, health: new BackendHealth(backend.url, HEALTH, () => {}) }
})

const all = () => true
const names = 'abcdefgh'

/** `n` picks as a string of member letters, '-' for none. */
function picks(name: PolicyName, ps: Member[], n: number, eligible: (i: number) => boolean = all, client = '127.0.0.1',
  random?: () => number): string {
  const policy = createPolicy(name, ps, random)
  let out = ''
  for (let k = 0; k < n; k++) {
    const i = policy.pick(eligible, client)
    out += i < 0 ? '-' : names[i]
  }
  return out
}

t.test('round-robin: an exact cycle for equal weights, smooth spreading for unequal ones (as nginx)', async (t) => {
  const cases: Array<[weights: number[], n: number, want: string]> = [
    [[1], 3, 'aaa'],
    [[1, 1], 6, 'ababab'],
    [[1, 1, 1], 9, 'abcabcabc'],
    [[2, 1], 6, 'abaaba'],
    [[3, 1], 8, 'aabaaaba'],
    [[5, 1, 1], 7, 'aabacaa'],
    [[1, 2, 3], 6, 'cbacbc'],
  ]
  for (const [weights, n, want] of cases) t.equal(picks('round-robin', members(...weights), n), want, `weights ${weights}: want ${want}`)
  t.equal(picks('round-robin', members(1, 1, 1), 6, (i) => i !== 1), 'acacac', 'a member that is not eligible sits out')
  t.equal(picks('round-robin', members(1, 1), 2, () => false), '--', 'none eligible: -1')
})

t.test('round-robin: weights in proportion over a long run', async (t) => {
  const got = picks('round-robin', members(3, 2, 1), 600)
  const count = (c: string) => got.split(c).length - 1
  t.same([count('a'), count('b'), count('c')], [300, 200, 100], 'exactly 3:2:1 over whole cycles')
})

t.test('least-connections: fewest in flight per unit of weight; ties go round', async (t) => {
  const ps = members(1, 1, 1)
  t.equal(picks('least-connections', ps, 6), 'abcabc', 'all idle: taken in turn')
  ps[0]!.load.inFlight = 2
  ps[1]!.load.inFlight = 1
  ps[2]!.load.inFlight = 3
  t.equal(picks('least-connections', ps, 3), 'bbb', 'the least loaded, while loads stay')
  const weighted = members(4, 1)
  weighted[0]!.load.inFlight = 3
  weighted[1]!.load.inFlight = 1
  t.equal(picks('least-connections', weighted, 1), 'a', '3/4 < 1/1: weight counts')
  t.equal(picks('least-connections', ps, 2, (i) => i !== 1), 'aa', 'the least loaded eligible one')
  t.equal(picks('least-connections', ps, 1, () => false), '-', 'none eligible: -1')
})

t.test('ip-hash: one client, one backend; spread over clients; only the lost backend\'s clients move', async (t) => {
  const ps = members(1, 1, 1)
  const clients = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)
  const home = new Map(clients.map((c) => [c, picks('ip-hash', ps, 5, all, c)]))
  for (const [client, got] of home) {
    if (!/^(a{5}|b{5}|c{5})$/.test(got)) t.fail(`client ${client}: want one backend five times, got ${got}`)
  }
  const counts = [...'abc'].map((c) => [...home.values()].filter((got) => got[0] === c).length)
  t.ok(counts.every((n) => n > 60), `spread over all three backends: ${counts}`)
  let moved = 0
  for (const [client, got] of home) {
    const now = picks('ip-hash', ps, 1, (i) => i !== 1, client)
    if (got[0] === 'b') t.not(now, 'b', `client ${client} leaves the down backend`)
    else if (now !== got[0]) moved++
  }
  t.equal(moved, 0, 'clients of the backends still up stay where they were')
  const weighted = members(3, 1)
  const onA = clients.filter((c) => picks('ip-hash', weighted, 1, all, c) === 'a').length
  t.ok(onA > 190 && onA < 260, `weight 3:1 gives about 225 of 300 clients to a, got ${onA}`)
  t.equal(picks('ip-hash', ps, 1, () => false), '-', 'none eligible: -1')
})

t.test('two-random-choices: the less loaded of two distinct random draws', async (t) => {
  const ps = members(1, 1, 1)
  ps[0]!.load.inFlight = 5
  ps[1]!.load.inFlight = 1
  ps[2]!.load.inFlight = 3
  const draws = (...values: number[]) => { let k = 0; return () => values[k++ % values.length] as number }
  const cases: Array<[draws: number[], want: string]> = [
    [[0.0, 0.0], 'b'], // a, then b from {b, c}: b is less loaded
    [[0.0, 0.99], 'c'], // a and c: c
    [[0.5, 0.0], 'b'], // b and a: b
    [[0.99, 0.0], 'c'], // c and a: c
    [[0.99, 0.99], 'b'], // c and b: b
  ]
  for (const [values, want] of cases) t.equal(picks('two-random-choices', ps, 1, all, '', draws(...values)), want, `draws ${values}: want ${want}`)
  t.equal(picks('two-random-choices', ps, 3, (i) => i === 2, '', seededRandom(1)), 'ccc', 'one eligible: that one')
  t.equal(picks('two-random-choices', ps, 1, () => false), '-', 'none eligible: -1')
  // the power of two choices keeps loads within a few of each other where one random draw drifts
  // by tens: over 100 seeded runs of 400 held exchanges on 4 backends, the worst spread of each
  let twoChoices = 0
  let oneChoice = 0
  for (let seed = 1; seed <= 100; seed++) {
    const balanced = members(1, 1, 1, 1)
    const policy = createPolicy('two-random-choices', balanced, seededRandom(seed))
    for (let k = 0; k < 400; k++) balanced[policy.pick(all, '')]!.load.inFlight++
    const loads = balanced.map((p) => p.load.inFlight)
    twoChoices = Math.max(twoChoices, Math.max(...loads) - Math.min(...loads))
    const random = seededRandom(seed)
    const drawn = [0, 0, 0, 0]
    for (let k = 0; k < 400; k++) drawn[Math.floor(random() * 4)]!++
    oneChoice = Math.max(oneChoice, Math.max(...drawn) - Math.min(...drawn))
  }
  t.ok(twoChoices <= 4, `two choices: loads within 4 of each other in every run, worst ${twoChoices}`)
  t.ok(oneChoice >= 5 * twoChoices, `one random choice spreads far wider on the same draws: worst ${oneChoice}`)
})

t.test('policy names: the four, and a one-line error for anything else', async (t) => {
  t.same([...POLICY_NAMES], ['round-robin', 'least-connections', 'ip-hash', 'two-random-choices'])
  for (const name of POLICY_NAMES) t.equal(parsePolicyName(name, 'balance'), name)
  t.throws(() => parsePolicyName('random', '--balance'),
    { code: 'UPROXY_BAD_CONFIG', message: /^--balance: "random" is not a policy \(want round-robin, least-connections, ip-hash, two-random-choices\)$/ })
  t.throws(() => parsePolicyName(3, 'routes[0].balance'), { message: /^routes\[0\]\.balance: 3 is not a policy/ })
})
