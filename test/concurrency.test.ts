// Many exchanges at once: each response goes back to the request that asked for it, never to another.
import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'

const COUNT = 200

/** Request i's body: distinct, of a size that varies from a few bytes to ~100 KiB (several chunks). */
function bodyFor(i: number): string {
  const unit = `request ${i};`
  return unit.repeat(1 + ((i * 7919) % 97) ** 2 % 9000)
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex')

/**
 * An origin that answers each request with its own path and body, after a delay that
 * differs per request, so that answers come back in another order than the requests went out.
 */
async function startEchoOrigin(t: Test) {
  let open = 0
  const stats = { peak: 0 }
  const origin = await startOrigin(t, (req, res, seen) => {
    open++
    stats.peak = Math.max(stats.peak, open)
    const i = Number(/^\/item\/(\d+)/.exec(req.url ?? '')?.[1])
    const timer = setTimeout(() => {
      open--
      res.setHeader('x-echo-path', req.url ?? '')
      res.setHeader('x-echo-sha256', sha(seen.body.toString()))
      // half answer with a length, half chunked in two writes
      if (i % 2 === 0) res.end(`${req.url}\n${seen.body.toString()}`)
      else {
        res.write(`${req.url}\n`)
        res.end(seen.body.toString())
      }
    }, (i * 37) % 150)
    res.on('close', () => clearTimeout(timer))
  })
  return { origin, stats }
}

for (const how of ['200 connections', '20 keep-alive connections'] as const) {
  t.test(`${COUNT} concurrent requests over ${how}: each response matches its own request`, async (t) => {
    const { origin, stats } = await startEchoOrigin(t)
    const proxy = await startTestProxy(t, { backend: origin.url })
    const client = new Agent({ connections: how === '200 connections' ? COUNT : 20, pipelining: 1 })
    t.teardown(() => client.close())

    const results = await Promise.all(Array.from({ length: COUNT }, async (_, i) => {
      const path = `/item/${i}?q=${i * 3}`
      const body = bodyFor(i)
      try {
        const res = await request(`${proxy.url}${path}`, {
          dispatcher: client, method: 'POST', body, headers: { 'content-type': 'text/plain', 'x-request': String(i) },
        })
        return { i, path, body, status: res.statusCode, headers: res.headers, text: await res.body.text() }
      } catch (err) {
        return { i, path, body, status: 0, headers: {} as Record<string, undefined>, text: `(failed: ${(err as Error).message})` }
      }
    }))

    let mixedUp = 0
    for (const { i, path, body, status, headers, text } of results) {
      const ok = status === 200 && headers['x-echo-path'] === path && headers['x-echo-sha256'] === sha(body) &&
        text === `${path}\n${body}`
      if (!ok) {
        mixedUp++
        if (mixedUp <= 5) {
          t.fail(`request ${i}: want status 200, path ${path} and its own ${body.length}-byte body back; ` +
            `got ${status}, path ${headers['x-echo-path']}, ${text.length} bytes starting ${JSON.stringify(text.slice(0, 40))}`)
        }
      }
    }
    t.equal(mixedUp, 0, `all ${COUNT} responses matched their own request`)
    t.equal(origin.seen.length, COUNT, `the backend saw each of the ${COUNT} requests once`)
    t.same(new Set(origin.seen.map((s) => s.headers['x-request'])).size, COUNT, 'with distinct requests')
    t.ok(stats.peak >= 10, `requests were in flight at the backend together (peak ${stats.peak}, want >= 10)`)
  })
}
