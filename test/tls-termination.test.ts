import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import tls from 'node:tls'
import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { startProxy, type ProxyOptions } from '../src/index.js'
import { makeCerts, type TestCerts } from './helpers/certs.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { runCli, startCliProxy, startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'

function certs(t: Test, names?: string[]): TestCerts {
  const made = makeCerts(names)
  t.teardown(made.cleanup)
  return made
}

function trusting(t: Test, ...cas: Buffer[]): Agent {
  const agent = new Agent({ connect: { ca: cas } })
  t.teardown(() => agent.close())
  return agent
}

/** A real TLS handshake naming `servername`; resolves with the certificate C1 presented and the reply to a GET. */
function handshake(port: number, servername: string, ca: Buffer[]): Promise<{ subject: string; san: string; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca }, () => {
      const peer = socket.getPeerCertificate()
      let reply = ''
      socket.setEncoding('latin1').on('data', (s: string) => (reply += s))
      socket.on('end', () => resolve({ subject: peer.subject.CN as string, san: peer.subjectaltname ?? '', reply }))
      socket.write(`GET /who HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`)
    })
    socket.on('error', reject)
    socket.setTimeout(5000, () => socket.destroy(new Error(`no reply over TLS for ${servername}`)))
  })
}

t.test('an HTTPS client reaches an http backend; X-Forwarded-Proto is https', async (t) => {
  const cert = certs(t)
  const origin = await startOrigin(t, (req, res) => res.end(`proto ${req.headers['x-forwarded-proto']}`))
  const proxy = await startTestProxy(t, { backend: origin.url, tlsCert: cert.certFile, tlsKey: cert.keyFile })
  t.match(proxy.url, /^https:\/\/127\.0\.0\.1:\d+$/)
  const res = await request(`${proxy.url}/secure?x=1`, { dispatcher: trusting(t, cert.ca) })
  t.equal(res.statusCode, 200)
  t.equal(await res.body.text(), 'proto https')
  t.equal(origin.seen[0]!.url, '/secure?x=1')
})

t.test('SNI picks the certificate of each listed name, and the default for any other', async (t) => {
  const a = certs(t, ['a.test'])
  const b = certs(t, ['b.test'])
  const fallback = certs(t, ['localhost', '127.0.0.1'])
  const origin = await startOrigin(t, (req, res) => res.end(`host ${req.headers['x-forwarded-host']}`))
  const proxy = await startTestProxy(t, {
    backend: origin.url,
    tlsCert: fallback.certFile,
    tlsKey: fallback.keyFile,
    sni: { 'a.test': { cert: a.certFile, key: a.keyFile }, 'b.test': { cert: b.certFile, key: b.keyFile } },
  })
  const cas = [a.ca, b.ca, fallback.ca]
  for (const [name, want] of [['a.test', 'a.test'], ['b.test', 'b.test'], ['localhost', 'localhost']] as const) {
    const got = await handshake(proxy.port, name, cas)
    t.equal(got.subject, want, `${name}: got certificate ${got.subject}, want ${want}`)
    t.match(got.san, `DNS:${want}`)
    t.match(got.reply, /^HTTP\/1\.1 200 OK/, `${name}: requests are served, not reset`)
    t.match(got.reply, `host ${name}`)
  }
  await t.rejects(handshake(proxy.port, 'c.test', cas), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    'an unlisted name gets the default certificate, which does not name it')
  const other = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: proxy.port, servername: 'c.test', ca: cas, checkServerIdentity: () => undefined }, () => {
      resolve(socket.getPeerCertificate().subject.CN as string)
      socket.destroy()
    })
    socket.on('error', reject)
  })
  t.equal(other, 'localhost', 'c.test is served the default certificate')
})

t.test('two listeners: plain HTTP redirects with 308 to the HTTPS one', async (t) => {
  const cert = certs(t)
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, {
    backend: origin.url,
    tlsCert: cert.certFile,
    tlsKey: cert.keyFile,
    listen: ['http://127.0.0.1:0', 'https://127.0.0.1:0'],
    redirectHttp: true,
  })
  t.equal(proxy.urls.length, 2)
  t.match(proxy.urls[0], /^http:\/\//)
  t.match(proxy.urls[1], /^https:\/\//)
  const httpsPort = new URL(proxy.urls[1]!).port
  const reply = await rawExchange(proxy.port, 'POST /form?a=1 HTTP/1.1\r\nHost: shop.test:8080\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi', 5000)
  t.match(reply.text, /^HTTP\/1\.1 308 Permanent Redirect\r\n/)
  t.match(reply.text, `\r\nlocation: https://shop.test:${httpsPort}/form?a=1\r\n`)
  t.equal(origin.seen.length, 0, 'the redirect never reaches the backend')
  const res = await request(`${proxy.urls[1]}/form?a=1`, { dispatcher: trusting(t, cert.ca) })
  t.equal(res.statusCode, 200)
  await res.body.text()
})

t.test('without --redirect-http both listeners proxy, each with its own X-Forwarded-Proto', async (t) => {
  const cert = certs(t)
  const origin = await startOrigin(t, (req, res) => res.end(String(req.headers['x-forwarded-proto'])))
  // startCliProxy gives `--listen 127.0.0.1:0` first: without a scheme, and not the last, it is plain HTTP
  const run = await startCliProxy(t, [origin.url, '--listen', '127.0.0.1:0', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--quiet'])
  const lines = run.stdout().split('\n')
  t.match(lines[0], /^uproxy listening on http:\/\/127\.0\.0\.1:\d+$/, 'the first --listen is the first ready line')
  t.match(lines[1], /^uproxy listening on https:\/\/127\.0\.0\.1:\d+$/, 'the second follows on the next line')
  const plain = await request(`${run.url}/`)
  t.equal(await plain.body.text(), 'http')
  const secure = await request(`${lines[1]!.split(' ').pop()}/`, { dispatcher: trusting(t, cert.ca) })
  t.equal(await secure.body.text(), 'https')
})

t.test('the CLI serves HTTPS from flags and from a --config file', async (t) => {
  const cert = certs(t)
  const a = certs(t, ['a.test'])
  const origin = await startOrigin(t)
  const file = join(cert.dir, 'uproxy.json')
  writeFileSync(file, JSON.stringify({
    backend: origin.url, tlsCert: cert.certFile, tlsKey: cert.keyFile, sni: { 'a.test': { cert: a.certFile, key: a.keyFile } },
  }))
  const run = await startCliProxy(t, ['--config', file, '--quiet'])
  t.match(run.url, /^https:\/\//)
  const got = await handshake(Number(new URL(run.url).port), 'a.test', [a.ca])
  t.equal(got.subject, 'a.test')
  const res = await request(`${run.url}/`, { dispatcher: trusting(t, cert.ca) })
  t.equal(await res.body.text(), 'origin server response')
})

t.test('bad or unreadable certificate files exit 2 with one line naming the file', async (t) => {
  const cert = certs(t)
  const garbage = join(cert.dir, 'garbage.pem')
  writeFileSync(garbage, 'not a certificate\n')
  const cases: [string[], RegExp][] = [
    [['--tls-cert', '/nonexistent/cert.pem', '--tls-key', cert.keyFile], /^uproxy: --tls-cert: cannot read "\/nonexistent\/cert\.pem" \(ENOENT\)\n$/],
    [['--tls-cert', cert.certFile, '--tls-key', garbage], /^uproxy: --tls-key: ".*garbage\.pem" holds no PEM private key\n$/],
    [['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--sni', 'a.test'], /^uproxy: --sni: "a\.test" is not HOST=CERT_FILE,KEY_FILE\n$/],
    [['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--sni', `bad name!=${cert.certFile},${cert.keyFile}`], /^uproxy: --sni "bad name!": not a host name\n$/],
    [['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--sni', `a.test=/nonexistent/a.pem,${cert.keyFile}`],
      /^uproxy: --sni "a\.test" cert: cannot read "\/nonexistent\/a\.pem" \(ENOENT\)\n$/],
  ]
  const runs = cases.map(([args]) => runCli(t, ['--listen', '127.0.0.1:0', ...args]))
  const codes = await Promise.all(runs.map((run) => run.exited))
  cases.forEach(([args, want], i) => {
    t.equal(codes[i], 2, `${args.join(' ')}: exit 2`)
    t.match(runs[i]!.stderr(), want)
    t.equal(runs[i]!.stdout(), '', 'no ready line')
  })
})

t.test('the API refuses bad TLS options with a ConfigError naming the file or option', async (t) => {
  const cert = certs(t)
  const other = certs(t, ['other.test'])
  const garbage = join(cert.dir, 'garbage.pem')
  writeFileSync(garbage, 'not a certificate\n')
  const { certFile: c, keyFile: k } = cert
  const cases: [ProxyOptions, RegExp][] = [
    [{ tlsCert: c, tlsKey: '/nonexistent/key.pem' }, /^tlsKey: cannot read "\/nonexistent\/key\.pem" \(ENOENT\)$/],
    [{ tlsCert: garbage, tlsKey: k }, /^tlsCert: ".*garbage\.pem" holds no PEM certificate$/],
    [{ tlsCert: c, tlsKey: other.keyFile }, /^tlsKey: ".*key\.pem" is not the key of ".*cert\.pem"$/],
    [{ tlsCert: c, tlsKey: k, sni: { 'a.test': { cert: '/nonexistent/a.pem', key: k } } }, /^sni "a\.test" cert: cannot read "\/nonexistent\/a\.pem" \(ENOENT\)$/],
    [{ tlsCert: c, tlsKey: k, sni: { 'bad name!': { cert: c, key: k } } }, /^sni "bad name!": not a host name$/],
    [{ sni: { 'a.test': { cert: c, key: k } } }, /^sni: needs a default certificate too/],
    [{ tlsCert: c }, /^tlsCert: given without --tls-key FILE$/],
    [{ listen: 'https://127.0.0.1:0' }, /^listen: an https:\/\/ address needs a certificate/],
    [{ tlsCert: c, tlsKey: k, listen: 'http://127.0.0.1:0' }, /^tlsCert: every listen address is http:\/\//],
    [{ redirectHttp: true }, /^redirectHttp: needs an http:\/\/ and an https:\/\/ listen address/],
  ]
  for (const [options, message] of cases) {
    await t.rejects(startProxy({ quiet: true, listen: '127.0.0.1:0', ...options }), { code: 'UPROXY_BAD_CONFIG', message })
  }
})

t.test('with --sni the ready line is still the first line of a stdout file or pipe', async (t) => {
  // uWS 20.30's app.domain() prints "finding a.test" and "Browsed to SNI: a.test" on native stdout
  const cert = certs(t)
  const a = certs(t, ['a.test'])
  const out = join(cert.dir, 'stdout.txt')
  const fd = openSync(out, 'w')
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../src/cli.ts', import.meta.url)),
    '--listen', '127.0.0.1:0', '--tls-cert', cert.certFile, '--tls-key', cert.keyFile,
    '--sni', `a.test=${a.certFile},${a.keyFile}`, 'http://127.0.0.1:9'], { stdio: ['ignore', fd, 'ignore'] })
  closeSync(fd)
  t.teardown(() => void child.kill('SIGKILL'))
  await waitFor(() => /listening on/.test(readFileSync(out, 'utf8')), 'the ready line', 15_000)
  t.match(readFileSync(out, 'utf8'), /^uproxy listening on https:\/\/127\.0\.0\.1:\d+\n$/, 'the ready line is the first and only line')
})
