// Backend failures before a response: 502 (refused, DNS, TLS, reset) or 504 (no headers in time), each error one stderr line.
import { lookup } from 'node:dns/promises'
import net from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { makeCerts } from './helpers/certs.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor, within } from './helpers/wait.js'
import { startCliProxy } from './helpers/proxy.js'

/** A port that was just free: listen on port 0, note it, close. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Why the DNS case cannot run here, or undefined when a lookup of a .invalid name fails fast. */
async function dnsSkipReason(): Promise<string | undefined> {
  const outcome = await within(
    lookup('nonexistent.invalid').then(() => 'resolved', (err: NodeJS.ErrnoException) => err.code ?? 'failed'),
    3000, 'a lookup of nonexistent.invalid').catch(() => 'hung')
  if (outcome === 'hung') return 'DNS lookups hang on this machine (no answer for nonexistent.invalid within 3 s)'
  if (outcome === 'resolved') return 'this resolver answers for nonexistent.invalid (a wildcard DNS), so it cannot fail'
  return undefined
}

t.test('each backend failure is answered 502/504 with one stderr line, and the proxy keeps serving', async (t) => {
  const certs = makeCerts()
  t.teardown(() => certs.cleanup())
  const healthy = await startOrigin(t, (_req, res) => res.end('ok'))
  const untrusted = await startOrigin(t, (_req, res) => res.end('should never be reached'), { tls: certs })
  const silent = await startOrigin(t, () => {}) // takes the request, never answers
  const resetting = await startOrigin(t, (req) => req.socket.destroy())
  const refusedPort = await closedPort()
  const dnsSkip = await dnsSkipReason()

  const proxy = await startCliProxy(t, [
    '--quiet', '--timeout', '1',
    '--route', `/refused=http://127.0.0.1:${refusedPort}`,
    '--route', '/dns=http://nonexistent.invalid',
    '--route', `/tls=${untrusted.url}`,
    '--route', `/silent=${silent.url}`,
    '--route', `/reset=${resetting.url}`,
    healthy.url,
  ], { NODE_EXTRA_CA_CERTS: '' })
  const stderrLines = () => proxy.stderr().split('\n').filter(Boolean)
  t.equal(stderrLines().length, 0, `nothing on stderr at start; got ${JSON.stringify(proxy.stderr())}`)

  const cases = [
    { path: '/refused/x', want: 502, reason: /ECONNREFUSED/, what: 'backend refused (closed port)' },
    { path: '/dns/x', want: 502, reason: /ENOTFOUND|EAI_AGAIN/, what: 'DNS failure', skip: dnsSkip },
    { path: '/tls/x', want: 502, reason: /CERT|certificate|self.signed/i, what: 'TLS failure (untrusted certificate)' },
    { path: '/silent/x', want: 504, reason: /TIMEOUT/i, what: 'no response headers within --timeout 1' },
    { path: '/reset/x', want: 502, reason: /UPROXY_C2_CLOSED|ECONNRESET/, what: 'backend closed the socket before answering' },
  ]
  for (const { path, want, reason, what, skip } of cases) {
    await t.test(what, { skip }, async (t) => {
      const before = stderrLines().length
      const started = performance.now()
      const res = await request(`${proxy.url}${path}`, { headersTimeout: 10_000 })
      const elapsed = performance.now() - started
      t.equal(res.statusCode, want, `${path}: want ${want}`)
      const page = await res.body.text()
      const sentence = want === 504 ? 'The backend server did not answer in time.' : 'The backend server could not be reached, or failed before answering.'
      t.equal(page, `${want} ${want === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\n${sentence}\n`, 'the status line and what happened in one sentence')
      t.notMatch(page, /127\.0\.0\.1|nonexistent|:\d{2,5}|E[A-Z]{4,}/, 'and no backend address or error code for the client')
      if (want === 504) t.ok(elapsed >= 900 && elapsed < 2500, `504 after ${elapsed.toFixed(0)} ms, want about 1 s`)
      else t.ok(elapsed < 5000, `answered in ${elapsed.toFixed(0)} ms, want fast`)

      await waitFor(() => stderrLines().length > before, `an error line on stderr for ${path}`, 3000)
      // a round trip later, whatever the error wrote has arrived: it must still be one line
      const next = await request(`${proxy.url}/after`)
      t.equal(next.statusCode, 200, 'the proxy keeps serving')
      t.equal(await next.body.text(), 'ok')
      const added = stderrLines().slice(before)
      const got = (ok: boolean) => (ok ? '' : `; got ${JSON.stringify(added)}`)
      const whole = added.every((line) => line.startsWith('uproxy: '))
      t.ok(whole, `each error is one whole line, no stack trace${got(whole)}`)
      // beside it, passive health may log the backend going down and a retry its attempt (issue 5), one line each
      const final = added.filter((line) => line.startsWith(`uproxy: GET ${path} `) && !line.includes('; retrying on '))
      t.equal(final.length, 1, `one line reports the failed exchange${got(final.length === 1)}`)
      t.match(final[0] ?? '', reason, 'the line says why')
      t.ok(added.length <= 3, `no more than the exchange, one retry and one backend-down line${got(added.length <= 3)}`)
    })
  }

  t.ok(untrusted.seen.length === 0, 'no request reached the backend whose certificate failed')
  t.ok(resetting.seen.length >= 1 && resetting.seen.length <= 2,
    `the resetting backend saw ${resetting.seen.length} attempts, want 1, or 2 with the one retry`)
})
