// backend-group: the policy over the up backends; all down → the least recently failed; retries go elsewhere.
import t from 'tap'
import { BackendGroup } from '../src/balancing/backend-group.js'
import { BackendHealth } from '../src/balancing/backend-health.js'
import type { Member } from '../src/balancing/member.js'
import { parseBackend } from '../src/config/backend-url.js'

function members(n: number) {
  const clock = { now: 0 }
  const list: Member[] = Array.from({ length: n }, (_, i) => {
    const backend = parseBackend(`http://127.0.0.1:${8001 + i}`, 'test')
    return {
      backend, load: { inFlight: 0 },
      health: new BackendHealth(backend.url, { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000 }, () => {}, () => clock.now),
    }
  })
  return { list, clock }
}

const port = (u: Member | undefined) => u ? Number(u.backend.url.split(':')[2]) - 8000 : 0

t.test('a group of one is never balanced: `only` is its member, whatever its health', async (t) => {
  const { list } = members(1)
  const group = new BackendGroup(list, 'round-robin')
  t.equal(group.only, list[0])
  list[0]!.health.recordFailure('x')
  t.equal(group.pick('c'), list[0], 'down, it is still the one')
  t.equal(group.pickAgain('c', [list[0]!]), undefined, 'no other backend to retry on')
})

t.test('down backends are skipped; when all are down the least recently failed is tried', async (t) => {
  const { list, clock } = members(3)
  const group = new BackendGroup(list, 'round-robin')
  t.same([1, 2, 3, 4].map(() => port(group.pick('c'))), [1, 2, 3, 1], 'all up: in turn')
  list[1]!.health.recordFailure('x')
  const picked = Array.from({ length: 8 }, () => port(group.pick('c')))
  t.ok(!picked.includes(2) && picked.includes(1) && picked.includes(3), `2 down: skipped, 1 and 3 share; got ${picked}`)
  clock.now = 1
  list[0]!.health.recordFailure('x')
  clock.now = 2
  list[2]!.health.recordFailure('x')
  t.equal(port(group.pick('c')), 2, 'all down: 2 failed first')
  clock.now = 3
  list[1]!.health.recordFailure('x')
  t.equal(port(group.pick('c')), 1, 'then 1 is the least recently failed')
  clock.now = 10_001
  t.same([1, 2, 3, 4].map(() => port(group.pick('c'))).sort(), [1, 1, 2, 2], '1 and 2 are back, 3 is still out')
})

t.test('pickAgain: an up backend not tried yet, else the least recently failed untried, else none', async (t) => {
  const { list, clock } = members(3)
  const group = new BackendGroup(list, 'round-robin')
  const first = group.pick('c')
  t.equal(port(first), 1)
  first.health.recordFailure('x')
  t.equal(port(group.pickAgain('c', [first])), 2, 'another one, up')
  clock.now = 1
  list[1]!.health.recordFailure('x')
  clock.now = 2
  list[2]!.health.recordFailure('x')
  t.equal(port(group.pickAgain('c', [list[0]!])), 2, 'all down: the least recently failed of the untried')
  t.equal(group.pickAgain('c', list), undefined, 'all tried: none')
})

t.test('every policy works behind the group', async (t) => {
  for (const policy of ['round-robin', 'least-connections', 'ip-hash', 'two-random-choices'] as const) {
    const { list } = members(2)
    const group = new BackendGroup(list, policy)
    list[0]!.health.recordFailure('x')
    t.equal(port(group.pick('10.0.0.1')), 2, `${policy}: the up one`)
  }
})
