// Step 6's README: an https backend is verified; --ca or NODE_EXTRA_CA_CERTS trusts a local CA; else 502.
import t, { type Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { makeCerts } from './helpers/certs.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { startOrigin } from './helpers/origin.ts'

/** Runs the README's openssl command: a self-signed certificate for localhost and 127.0.0.1. */
function makeSelfSigned(t: Test): { cert: string, key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tutorial-06-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', 'key.pem', '-out', 'cert.pem'],
  { cwd: dir, stdio: 'ignore' })
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') }
}

t.test('the README run: the step-1 origin over https, trusted with --ca', async (t) => {
  const pem = makeSelfSigned(t)
  const origin = await startStep(t, '01-origin-server',
    ['--listen', '127.0.0.1:0', '--cert', pem.cert, '--key', pem.key])
  t.match(origin.readyLine, /^origin listening on https:\/\/127\.0\.0\.1:\d+$/, 'the origin speaks https')
  // Three proxies on the same origin, started together: --ca, NODE_EXTRA_CA_CERTS, and neither.
  const [trusted, viaEnv, untrusted] = await Promise.all([
    startStep(t, '06-tls-backend', ['--listen', '127.0.0.1:0', '--backend', origin.url, '--ca', pem.cert]),
    startStep(t, '06-tls-backend', ['--listen', '127.0.0.1:0', '--backend', origin.url], { NODE_EXTRA_CA_CERTS: pem.cert }),
    startStep(t, '06-tls-backend', ['--listen', '127.0.0.1:0', '--backend', origin.url]),
  ])
  t.equal(trusted.readyLine, `proxy to ${origin.url} listening on ${trusted.url}`)
  const got = await send(trusted.url + '/')
  t.equal(got.status, 200)
  t.equal(got.body, 'origin server response\n')
  t.equal(JSON.parse((await send(trusted.url + '/headers')).body).headers.host, new URL(origin.url).host,
    'Host is the backend host:port')

  t.equal((await send(viaEnv.url + '/')).body, 'origin server response\n', 'NODE_EXTRA_CA_CERTS=cert.pem works too')

  const refused = await send(untrusted.url + '/')
  t.equal(refused.status, 502, 'without --ca the certificate is refused')
  t.equal(refused.body, '502 Bad Gateway: DEPTH_ZERO_SELF_SIGNED_CERT\n')
})

t.test('NODE_EXTRA_CA_CERTS trusts a CA, and SNI names the backend host', async (t) => {
  const certs = makeCerts(['localhost', '127.0.0.1'])
  t.teardown(certs.cleanup)
  const origin = await startOrigin(t, (req, res) => {
    res.end(`servername=${(req.socket as TLSSocket).servername}\n`)
  }, { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })
  const backend = `https://localhost:${new URL(origin.url).port}`
  const proxy = await startStep(t, '06-tls-backend', ['--listen', '127.0.0.1:0', '--backend', backend],
    { NODE_EXTRA_CA_CERTS: certs.caFile })
  const got = await send(proxy.url + '/')
  t.equal(got.status, 200)
  t.equal(got.body, 'servername=localhost\n', 'SNI carried the backend host name')
  t.equal(origin.seen[0]?.headers.host, new URL(backend).host)
})

t.test('a certificate for another name is refused', async (t) => {
  const certs = makeCerts(['other'])
  t.teardown(certs.cleanup)
  const origin = await startOrigin(t, undefined, { tls: { cert: certs.cert, key: certs.key }, host: '127.0.0.1' })
  const proxy = await startStep(t, '06-tls-backend', ['--listen', '127.0.0.1:0', '--backend',
    `https://localhost:${new URL(origin.url).port}`, '--ca', certs.caFile])
  const got = await send(proxy.url + '/')
  t.equal(got.status, 502)
  t.equal(got.body, '502 Bad Gateway: ERR_TLS_CERT_ALTNAME_INVALID\n')
})
