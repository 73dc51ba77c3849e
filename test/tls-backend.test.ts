// https:// backends: TLS with SNI and certificate verification, extra CAs by --ca or NODE_EXTRA_CA_CERTS, --insecure loudly.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { makeCerts, type TestCerts } from './helpers/certs.js'
import { startOrigin, type Origin } from './helpers/origin.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

function certs(t: Test, names: string[]): TestCerts {
  const made = makeCerts(names)
  t.teardown(made.cleanup)
  return made
}

/** An https origin on 127.0.0.1 whose URL names it `localhost`, serving a certificate for `names`. */
function httpsOrigin(t: Test, made: TestCerts): Promise<Origin> {
  return startOrigin(t, (_req, res) => res.end('secret origin'), { tls: { cert: made.cert, key: made.key } })
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await request(`${url}/tls`)
  return { status: res.statusCode, body: await res.body.text() }
}

t.test('through the API: an untrusted CA is 502, a trusted one 200 with SNI, a certificate for another name 502', async (t) => {
  const made = certs(t, ['localhost'])
  const origin = await httpsOrigin(t, made)
  t.match(origin.url, /^https:\/\/localhost:\d+$/)
  const untrusted = await startTestProxy(t, { backend: origin.url })
  t.same(await get(untrusted.url), { status: 502, body: '502 Bad Gateway\nThe backend server could not be reached, or failed before answering.\n' }, 'CA not trusted: want 502')
  t.equal(origin.seen.length, 0, 'no request went over the unverified connection')

  const trusted = await startTestProxy(t, { backend: origin.url, ca: [made.caFile] })
  t.same(await get(trusted.url), { status: 200, body: 'secret origin' }, 'ca: [caFile]: want 200')
  t.equal(origin.seen[0]?.servername, 'localhost', 'want SNI servername localhost')
  t.equal(origin.seen[0]?.headers.host, `localhost:${origin.port}`, 'want Host localhost:PORT')

  const other = certs(t, ['wrong.example'])
  const wrongName = await httpsOrigin(t, other)
  const verifying = await startTestProxy(t, { backend: wrongName.url, ca: [other.caFile] })
  t.same(await get(verifying.url), { status: 502, body: '502 Bad Gateway\nThe backend server could not be reached, or failed before answering.\n' }, 'a trusted certificate for wrong.example at localhost: want 502')
  t.equal(wrongName.seen.length, 0, 'no request went to the wrongly named origin')
})

t.test('through the CLI: --ca FILE, NODE_EXTRA_CA_CERTS and --insecure reach the origin with SNI; --insecure warns on stderr', async (t) => {
  const made = certs(t, ['localhost'])
  const origin = await httpsOrigin(t, made)
  const [withCa, withEnv, insecure] = await Promise.all([
    startCliProxy(t, [origin.url, '--quiet', '--ca', made.caFile]),
    startCliProxy(t, [origin.url, '--quiet'], { NODE_EXTRA_CA_CERTS: made.caFile }),
    startCliProxy(t, [origin.url, '--quiet', '--insecure']),
  ])
  t.same(await get(withCa.url), { status: 200, body: 'secret origin' }, '--ca FILE: want 200')
  t.same(await get(withEnv.url), { status: 200, body: 'secret origin' }, 'NODE_EXTRA_CA_CERTS=FILE: want 200')
  t.same(await get(insecure.url), { status: 200, body: 'secret origin' }, '--insecure: want 200')
  t.match(insecure.stderr(), /^uproxy: warning: .*verification.*OFF/m, '--insecure: want a warning line on stderr')
  t.equal(origin.seen.length, 3, 'three requests reached the origin')
  t.same(origin.seen.map((s) => s.servername), ['localhost', 'localhost', 'localhost'], 'every connection sent SNI localhost')
  t.equal(withCa.stderr(), '', '--ca: nothing on stderr')
  t.equal(withEnv.stderr(), '', 'NODE_EXTRA_CA_CERTS: nothing on stderr')
})
