// Step 11's README: C1 serves HTTPS, SNI picks the certificate, the backend sees X-Forwarded-Proto: https.
import t, { type Test } from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'
import { startStep } from './helpers/tutorial-step.ts'

/** Runs the README's two openssl commands in a temporary folder. */
function makeReadmeCerts(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'tutorial-11-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const openssl = (name: string, san: string, key: string, cert: string) => execFileSync('openssl', ['req', '-x509',
    '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`,
    '-keyout', key, '-out', cert], { cwd: dir, stdio: 'ignore' })
  openssl('localhost', 'DNS:localhost,IP:127.0.0.1', 'key.pem', 'cert.pem')
  openssl('shop.test', 'DNS:shop.test', 'shop-key.pem', 'shop.pem')
  return dir
}

/** GET over TLS naming `servername`, trusting only `ca` (like curl --cacert, with --resolve). */
async function get(port: number, path: string, servername: string, ca: Buffer): Promise<{ status: number, type: string, body: string }> {
  const req = https.get({ host: '127.0.0.1', port, path, servername, ca, agent: false, headers: { host: `${servername}:${port}` } })
  const [res] = await once(req, 'response') as [import('node:http').IncomingMessage]
  let body = ''
  for await (const chunk of res) body += chunk
  return { status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }
}

/** The certificate's CN that the proxy presents for `servername` (like openssl s_client -servername). */
async function subjectFor(port: number, servername: string): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
  await once(socket, 'secureConnect')
  const cn = socket.getPeerCertificate().subject.CN as string
  socket.destroy()
  return cn
}

t.test('the README run: HTTPS to the proxy, plain HTTP to the origin, a certificate per name', async (t) => {
  const dir = makeReadmeCerts(t)
  const pem = (name: string) => join(dir, name)
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '11-tls-termination', ['--listen', '127.0.0.1:0', '--backend', origin.url,
    '--cert', pem('cert.pem'), '--key', pem('key.pem'), '--sni', `shop.test=${pem('shop.pem')},${pem('shop-key.pem')}`])
  t.match(proxy.readyLine, new RegExp(`^proxy to ${origin.url} listening on https://127\\.0\\.0\\.1:\\d+$`))
  t.same(proxy.stdout.slice(0, 2), ['finding shop.test', 'Browsed to SNI: shop.test'], "uWS's own two lines come first")
  const port = Number(new URL(proxy.url).port)

  const home = await get(port, '/', 'localhost', readFileSync(pem('cert.pem')))
  t.same(home, { status: 200, type: 'text/plain', body: 'origin server response\n' }, 'curl -i --cacert cert.pem https://localhost:8443/')
  const seen = JSON.parse((await get(port, '/headers', 'localhost', readFileSync(pem('cert.pem')))).body)
  t.equal(seen.headers['x-forwarded-proto'], 'https', 'the origin sees X-Forwarded-Proto: https')
  t.equal(seen.headers.host, new URL(origin.url).host, 'and its own Host')

  const shop = await get(port, '/', 'shop.test', readFileSync(pem('shop.pem')))
  t.equal(shop.body, 'origin server response\n', 'shop.test is served with its own certificate')
  t.equal(await subjectFor(port, 'shop.test'), 'shop.test', 'openssl s_client -servername shop.test')
  t.equal(await subjectFor(port, 'other.test'), 'localhost', 'any other name gets the default certificate')
})

t.test('without --sni, shop.test gets the default certificate, which does not name it', async (t) => {
  const dir = makeReadmeCerts(t)
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '11-tls-termination', ['--listen', '127.0.0.1:0', '--backend', origin.url,
    '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')])
  await t.rejects(get(Number(new URL(proxy.url).port), '/', 'shop.test', readFileSync(join(dir, 'shop.pem'))))
})

/** Why curl cannot be run here, or false. */
function curlMissing(): string | false {
  return spawnSync('curl', ['--version']).status === 0 ? false : 'curl is not installed'
}

t.test("one thing to try: curl's two refusals of the default certificate for shop.test", { skip: curlMissing() }, async (t) => {
  const dir = makeReadmeCerts(t)
  const origin = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '11-tls-termination', ['--listen', '127.0.0.1:0', '--backend', origin.url,
    '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem')])
  const port = new URL(proxy.url).port
  // curl runs in its own process: the proxy and origin are children too, so a synchronous spawn blocks nothing they need
  const curl = (ca: string) => spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', join(dir, ca),
    '--resolve', `shop.test:${port}:127.0.0.1`, `https://shop.test:${port}/`], { encoding: 'utf8', timeout: 20_000 })
  const untrusted = curl('shop.pem')
  t.equal(untrusted.status, 60, `--cacert shop.pem: got curl exit ${untrusted.status}, want 60 (certificate refused)`)
  t.match(untrusted.stderr, 'SSL certificate problem: self-signed certificate', `got ${JSON.stringify(untrusted.stderr)}`)
  const misnamed = curl('cert.pem')
  t.equal(misnamed.status, 60, `--cacert cert.pem: got curl exit ${misnamed.status}, want 60`)
  t.match(misnamed.stderr, "no alternative certificate subject name matches target host name 'shop.test'", `got ${JSON.stringify(misnamed.stderr)}`)
})

t.test('a certificate file that cannot be read is named, not "App construction failed"', async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tutorials/11-tls-termination/main.ts', '--listen', '127.0.0.1:0',
    '--cert', '/nonexistent/cert.pem'], { cwd: fileURLToPath(new URL('../', import.meta.url)), encoding: 'utf8', timeout: 20_000 })
  t.equal(run.status, 1)
  t.equal(run.stderr, 'cannot read /nonexistent/cert.pem\n')
})
