// health-probes: real GETs of the health path over a real pool; 2xx/3xx up, else down; closed means stopped.
import t, { type Test } from 'tap'
import { Pool } from 'undici'
import { BackendHealth } from '../src/balancing/backend-health.js'
import { startHealthProbes } from '../src/balancing/health-probes.js'
import { parseBackend } from '../src/config/backend-url.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'

async function probed(t: Test, answer: { status: number }) {
  const origin = await startOrigin(t, (req, res) => {
    res.statusCode = req.url === '/base/healthz' ? answer.status : 404
    res.end('health')
  })
  const pool = new Pool(origin.url)
  t.teardown(() => pool.destroy())
  const lines: string[] = []
  const health = new BackendHealth(origin.url, { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000 }, (l) => lines.push(l))
  const member = { backend: parseBackend(`${origin.url}/base`, 'test'), load: { inFlight: 0 }, health }
  const probes = startHealthProbes([member], () => pool, { path: '/healthz', intervalMs: 50, timeoutMs: 1000 })
  t.teardown(() => probes.close())
  return { origin, health, lines, probes }
}

t.test('a probe that gets 503 takes the backend out; 200 or 302 brings it back; one line per change', async (t) => {
  const answer = { status: 200 }
  const { origin, health, lines } = await probed(t, answer)
  await waitFor(() => origin.seen.length >= 2, 'two probes')
  t.equal(origin.seen[0]?.url, '/base/healthz', 'the base path, then the health path')
  t.ok(health.isUp(), 'up while probes pass')
  answer.status = 503
  await waitFor(() => !health.isUp(), 'down after a 503')
  answer.status = 302
  await waitFor(() => health.isUp(), 'up after a 302')
  const seen = origin.seen.length
  await waitFor(() => origin.seen.length >= seen + 3, 'three more probes')
  t.same(lines.map((l) => l.replace(/:\d+ /, ':PORT ')), [
    'backend http://127.0.0.1:PORT is down: probe /healthz answered 503',
    'backend http://127.0.0.1:PORT is up: probe /healthz answered 302',
  ], 'one line per change, none for probes that change nothing')
})

t.test('a backend that does not answer is down; close() stops probing', async (t) => {
  const answer = { status: 200 }
  const { origin, health, lines, probes } = await probed(t, answer)
  await waitFor(() => origin.seen.length >= 1, 'a first probe')
  origin.server.closeAllConnections()
  await new Promise<void>((resolve) => origin.server.close(() => resolve()))
  await waitFor(() => !health.isUp(), 'down once refused')
  t.match(lines[0], /^backend http:\/\/127\.0\.0\.1:\d+ is down: probe \/healthz failed: .*ECONNREFUSED/, 'the line says why')
  probes.close()
  const count = lines.length
  health.recordProbe(true, 'by hand')
  // a pause on purpose, not a wait: a claim that nothing happens needs a span of time (four probe intervals)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(lines.length, count + 1, 'no probe ran after close')
})

t.test('a backend that accepts but never answers is down within the probe timeout', async (t) => {
  const origin = await startOrigin(t, () => {}, { streaming: true })
  const pool = new Pool(origin.url)
  t.teardown(() => pool.destroy())
  const lines: string[] = []
  const health = new BackendHealth(origin.url, { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000 }, (l) => lines.push(l))
  const member = { backend: parseBackend(origin.url, 'test'), load: { inFlight: 0 }, health }
  const probes = startHealthProbes([member], () => pool, { path: '/healthz', intervalMs: 1000, timeoutMs: 100 })
  t.teardown(() => probes.close())
  await waitFor(() => !health.isUp(), 'down after 100 ms without an answer', 2000)
  t.match(lines[0], /is down: probe \/healthz failed: (no answer within 100 ms|.*UND_ERR_HEADERS_TIMEOUT.*)$/)
})
