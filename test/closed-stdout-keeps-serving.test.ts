// A proxy whose stdout reader went away (`uproxy | head -1`) keeps serving instead of dying on EPIPE.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy } from './helpers/proxy.js'

t.test('closing the reader of stdout does not stop the proxy', async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startCliProxy(t, [origin.url])
  proxy.child.stdout?.destroy()
  // each exchange writes an access line to the closed pipe: the first one meets EPIPE
  for (let i = 0; i < 3; i++) {
    const res = await request(`${proxy.url}/after-close-${i}`)
    t.equal(res.statusCode, 200, `request ${i} after stdout closed: want 200`)
    await res.body.text()
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(proxy.child.exitCode, null, 'the proxy is still running')
  t.equal(origin.seen.length, 3, 'every request reached the origin')
})
