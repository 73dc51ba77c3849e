// Step 10's README: the same flags through uproxy's startProxy() — routed, rewritten, forwarded, length kept.
import t from 'tap'
import { makeCerts } from './helpers/certs.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

t.test('uproxy, started from the tutorial, relays a loopback backend', async (t) => {
  const main = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 23 }).end('origin server response\n')
  })
  const certs = makeCerts(['localhost', '127.0.0.1'])
  t.teardown(certs.cleanup)
  const api = await startOrigin(t, (req, res) => res.end(`api got ${req.url}\n`), { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })
  const proxy = await startStep(t, '10-tutorial-to-product', ['--listen', '127.0.0.1:0', '--backend', main.url,
    '--route', `/api=${api.url}`, '--rewrite', '--ca', certs.caFile])
  t.match(proxy.readyLine, /^uproxy listening on http:\/\/127\.0\.0\.1:\d+$/, 'ready line')

  const root = await send(proxy.url + '/')
  t.equal(root.status, 200)
  t.equal(root.body, 'origin server response\n')
  t.equal(root.headers['content-length'], '23', 'the product keeps the backend Content-Length')
  t.equal(main.seen[0]!.headers.host, main.host, 'Host rewritten')
  t.equal(main.seen[0]!.headers['x-forwarded-for'], '127.0.0.1', 'X-Forwarded-For set')
  await proxy.waitForLine(new RegExp(`^GET / 200 23B \\S+ ${main.url}$`), 10_000)

  t.equal((await send(proxy.url + '/api/x?q=1')).body, 'api got /x?q=1\n', 'routed to an https backend trusted with --ca, and rewritten')
  t.equal((await send(proxy.url + '/apis')).body, 'origin server response\n', '/apis is not /api')
})
