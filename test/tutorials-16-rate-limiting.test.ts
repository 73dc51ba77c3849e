// Step 16's README: three requests pass with RateLimit fields, the fourth is a 429 the origin never sees; each address its own window.
import t from 'tap'
import { Agent, request } from 'undici'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { waitFor } from './helpers/wait.ts'

t.test('the README run: 200, 200, 200 with RateLimit fields, then 429 with Retry-After; the origin saw three', async (t) => {
  const step1 = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '16-rate-limiting', ['--listen', '127.0.0.1:0', '--backend', step1.url, '--limit', '3'])
  t.equal(proxy.stdout[0], 'rate limit 3 per 60 s per client')
  t.match(proxy.readyLine, new RegExp(`^proxy to ${step1.url} listening on http://127\\.0\\.0\\.1:\\d+$`))
  for (const remaining of ['2', '1', '0']) {
    const got = await send(`${proxy.url}/`)
    t.equal(got.status, 200)
    t.same(got.rawHeaders.filter(([name]) => name.startsWith('ratelimit-')),
      [['ratelimit-limit', '3'], ['ratelimit-remaining', remaining], ['ratelimit-reset', '60']], `remaining ${remaining}, as the README shows`)
  }
  const limited = await send(`${proxy.url}/`)
  t.equal(limited.status, 429, `got ${limited.status}, want 429`)
  t.equal(limited.statusText, 'Too Many Requests')
  t.same(limited.rawHeaders.filter(([name]) => name === 'retry-after' || name.startsWith('ratelimit-')),
    [['retry-after', '60'], ['ratelimit-limit', '3'], ['ratelimit-remaining', '0'], ['ratelimit-reset', '60']], 'the 429\'s fields in the README\'s order')
  await proxy.waitForLine(/^limit: 127\.0\.0\.1 is over 3 per 60 s: 429 for GET \/$/)
  t.equal(step1.stdout.filter((l) => l.startsWith('origin: GET /')).length, 3, 'the origin saw three requests, not the fourth')

  const other = new Agent({ localAddress: '127.0.0.2' })
  t.teardown(() => other.close())
  const fromOther = await request(`${proxy.url}/`, { dispatcher: other })
  await fromOther.body.dump()
  t.equal(fromOther.statusCode, 200, '127.0.0.2 has a window of its own')
})

t.test('a window that is over starts again', async (t) => {
  const step1 = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '16-rate-limiting', ['--listen', '127.0.0.1:0', '--backend', step1.url, '--limit', '1', '--window', '1'])
  t.equal((await send(`${proxy.url}/`)).status, 200)
  t.equal((await send(`${proxy.url}/`)).status, 429)
  await waitFor(async () => (await send(`${proxy.url}/`)).status === 200, 'the next window', 5000)
  t.pass('allowed again in the next window')
})
