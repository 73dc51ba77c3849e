// Rate limits shared through Redis (--redis): two uproxy processes enforce one limit; Redis stopped and started mid-run.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy } from './helpers/proxy.js'
import { needRedis, startRedis } from './helpers/redis-server.js'
import { waitFor } from './helpers/wait.js'

const status = async (url: string) => {
  const res = await request(url)
  await res.body.dump()
  return res.statusCode
}

const OUTAGE_LINE = /rate limit: Redis at \S+ is unavailable \([^)]*\); serving without a limit until it is back/g

if (needRedis(t)) {
  t.test('two instances behind one address share one limit through Redis', async (t) => {
    const redis = await startRedis(t)
    const origin = await startOrigin(t)
    const args = ['--backend', origin.url, '--quiet', '--rate-limit', '4/m', '--redis', redis.url]
    const [a, b] = await Promise.all([startCliProxy(t, args), startCliProxy(t, args)])
    const statuses: number[] = []
    // alternately, as a load balancer in front would send them
    for (let i = 0; i < 6; i++) statuses.push(await status((i % 2 ? b! : a!).url + '/x'))
    t.same(statuses, [200, 200, 200, 200, 429, 429], `got ${statuses.join(',')}: four in all, not four each`)
    t.equal(origin.seen.length, 4, `got ${origin.seen.length} requests at the origin, want 4`)
  })

  t.test('Redis stopped mid-run: open keeps serving with one line; closed answers 503; both limit again once it is back', async (t) => {
    const redis = await startRedis(t)
    const origin = await startOrigin(t)
    const args = ['--backend', origin.url, '--quiet', '--rate-limit', '3/m', '--redis', redis.url]
    const open = await startCliProxy(t, args)
    const closed = await startCliProxy(t, [...args, '--rate-limit-fail', 'closed'])
    t.equal(await status(open.url), 200)
    t.equal(await status(closed.url), 200)
    await redis.stop()
    const during: number[] = []
    for (let i = 0; i < 5; i++) during.push(await status(open.url))
    t.same(during, [200, 200, 200, 200, 200], `fail open: got ${during.join(',')}, every request served`)
    t.equal(await status(closed.url), 503, 'fail closed: 503')
    await waitFor(() => /rate limit: Redis at \S+ is unavailable \([^)]*\); answering 503 until it is back/.test(closed.stderr()), 'the closed instance\'s line')
    t.equal(open.stderr().match(OUTAGE_LINE)?.length, 1, `one line for the outage, got stderr: ${open.stderr()}`)
    await redis.start()
    // ioredis reconnects by itself; the restarted Redis is empty, so the limit counts from zero
    await waitFor(async () => (await status(open.url)) === 429, 'the open instance to limit again', 10_000)
    await waitFor(async () => (await status(closed.url)) === 429, 'the closed instance to limit again', 10_000)
    t.pass('both limit again')
    t.equal(open.stderr().match(OUTAGE_LINE)?.length, 1, 'no more lines once Redis is back')
  })
}
