// backend-health: max-fails within the window takes a backend out for fail-timeout, trial after, probes; one line per change.
import t from 'tap'
import { BackendHealth, type HealthSettings } from '../src/balancing/backend-health.js'

function health(settings: Partial<HealthSettings> = {}) {
  const clock = { now: 0 }
  const lines: string[] = []
  const h = new BackendHealth('http://b:1', { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000, ...settings },
    (line) => lines.push(line), () => clock.now)
  return { h, clock, lines }
}

/** Steps of [at ms, what happens, isUp() after]. */
type Step = [at: number, event: 'fail' | 'ok' | 'probe-ok' | 'probe-fail' | 'check', up: boolean]

const scripts: Array<[name: string, settings: Partial<HealthSettings>, steps: Step[], lines: number]> = [
  ['one failure takes it out for the time out (max-fails 1)', {}, [
    [0, 'check', true], [100, 'fail', false], [5000, 'check', false], [10_099, 'check', false], [10_100, 'check', true],
  ], 2],
  ['max-fails 3: two failures keep it in, the third within the window takes it out', { maxFails: 3 }, [
    [0, 'fail', true], [1000, 'fail', true], [2000, 'fail', false], [12_000, 'check', true],
  ], 2],
  ['failures further apart than the window never add up', { maxFails: 2, failWindowMs: 1000 }, [
    [0, 'fail', true], [1500, 'fail', true], [3000, 'fail', true], [3500, 'fail', false],
  ], 1],
  ['back in, it is on trial: one failure before a success takes it out again', { maxFails: 3 }, [
    [0, 'fail', true], [1, 'fail', true], [2, 'fail', false], [10_002, 'check', true], [10_003, 'fail', false], [20_003, 'check', true],
  ], 4],
  ['a success ends the trial: max-fails counts afresh', { maxFails: 2, failWindowMs: 100 }, [
    [0, 'fail', true], [1, 'fail', false], [10_001, 'check', true], [10_002, 'ok', true], [10_003, 'fail', true], [10_200, 'fail', true],
  ], 2],
  ['failures while out change nothing and log nothing', {}, [
    [0, 'fail', false], [1, 'fail', false], [2, 'fail', false], [10_000, 'check', true],
  ], 2],
  ['a failed probe takes it out until a probe passes, whatever the time', {}, [
    [0, 'probe-fail', false], [1, 'probe-fail', false], [60_000, 'check', false], [60_001, 'probe-ok', true], [60_002, 'probe-ok', true],
  ], 2],
  ['a passing probe ends a passive time out early', {}, [
    [0, 'fail', false], [1000, 'probe-ok', true],
  ], 2],
  ['passing probes of an up backend log nothing', {}, [[0, 'probe-ok', true], [1, 'probe-ok', true]], 0],
]

t.test('passive and active health, step by step', async (t) => {
  for (const [name, settings, steps, wantLines] of scripts) {
    const { h, clock, lines } = health(settings)
    for (const [at, event, up] of steps) {
      clock.now = at
      if (event === 'fail') h.recordFailure('ECONNREFUSED')
      else if (event === 'ok') h.recordSuccess()
      else if (event === 'probe-ok') h.recordProbe(true, 'probe /healthz answered 200')
      else if (event === 'probe-fail') h.recordProbe(false, 'probe /healthz answered 503')
      t.equal(h.isUp(), up, `${name}: at ${at} ms after ${event}, want ${up ? 'up' : 'down'}`)
    }
    t.equal(lines.length, wantLines, `${name}: want ${wantLines} log lines, got ${JSON.stringify(lines)}`)
  }
})

t.test('the log lines name the backend, the state and why', async (t) => {
  const { h, clock, lines } = health()
  h.recordFailure('ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1')
  clock.now = 10_000
  h.isUp()
  h.recordProbe(false, 'probe /healthz answered 503')
  h.recordProbe(true, 'probe /healthz answered 200')
  t.same(lines, [
    'backend http://b:1 is down for 10 s: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1',
    'backend http://b:1 is back in rotation after 10 s out',
    'backend http://b:1 is down: probe /healthz answered 503',
    'backend http://b:1 is up: probe /healthz answered 200',
  ])
})

t.test('lastFailedAt is the time of the latest failure, passive or probe', async (t) => {
  const { h, clock } = health()
  t.equal(h.lastFailedAt, -Infinity, 'never failed')
  clock.now = 5
  h.recordFailure('x')
  t.equal(h.lastFailedAt, 5)
  clock.now = 7
  h.recordFailure('x')
  t.equal(h.lastFailedAt, 7, 'a failure while out still counts as the latest')
  clock.now = 9
  h.recordProbe(false, 'x')
  t.equal(h.lastFailedAt, 9)
})
