import http2 from 'node:http2'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { makeCerts, type TestCerts } from './helpers/certs.js'
import { runCli } from './helpers/proxy.js'
import { startTestProxy } from './helpers/proxy.js'

interface Seen {
  httpVersion: string
  method: string
  url: string
  host: string | undefined
  forwardedProto: string | undefined
  body: string
}

type Req = http2.Http2ServerRequest | import('node:http').IncomingMessage
type Res = http2.Http2ServerResponse | import('node:http').ServerResponse

/** One handler for both origins: what a client sends decides the answer, never the protocol. */
function answer(seen: Seen[]) {
  return (req: Req, res: Res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      seen.push({
        httpVersion: req.httpVersion, method: req.method ?? '', url: req.url ?? '',
        host: req.headers[':authority'] as string | undefined ?? req.headers.host, forwardedProto: req.headers['x-forwarded-proto'] as string | undefined, body,
      })
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.setHeader('content-type', 'text/plain')
      res.statusCode = req.url?.startsWith('/missing') ? 404 : 200
      res.end(`${req.method} ${req.url} ${body.length}`)
    })
  }
}

async function listen(t: Test, server: http2.Http2SecureServer | https.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close(() => resolve())
  }))
  return (server.address() as AddressInfo).port
}

async function startOrigins(t: Test, cert: TestCerts) {
  const seenH2: Seen[] = []
  const seenH1: Seen[] = []
  const sessions: http2.ServerHttp2Session[] = []
  const h2 = http2.createSecureServer({ cert: cert.cert, key: cert.key, allowHTTP1: false }, answer(seenH2))
  h2.on('session', (session) => {
    sessions.push(session)
    t.teardown(() => session.destroy())
  })
  const h1 = https.createServer({ cert: cert.cert, key: cert.key }, answer(seenH1))
  return {
    h2: { url: `https://localhost:${await listen(t, h2)}`, seen: seenH2, sessions },
    h1: { url: `https://localhost:${await listen(t, h1)}`, seen: seenH1 },
  }
}

async function fetchText(url: string, init: { method?: string; body?: string } = {}) {
  const res = await request(url, init)
  return { status: res.statusCode, cookies: res.headers['set-cookie'], type: res.headers['content-type'], body: await res.body.text() }
}

t.test('an HTTP/2-only backend serves the same requests as an HTTP/1.1 one', async (t) => {
  const cert = makeCerts()
  t.teardown(cert.cleanup)
  const origins = await startOrigins(t, cert)
  const proxy = await startTestProxy(t, {
    backend: origins.h1.url,
    ca: cert.caFile,
    routes: [{ prefix: '/h2', backend: origins.h2.url, rewrite: true, backendH2: true }],
  })
  const requests = [
    { path: '/page?q=1', init: {} },
    { path: '/form', init: { method: 'POST', body: 'x'.repeat(100_000) } },
    { path: '/missing', init: {} },
  ]
  for (const { path, init } of requests) {
    const viaH1 = await fetchText(`${proxy.url}${path}`, init)
    const viaH2 = await fetchText(`${proxy.url}/h2${path}`, init)
    t.same(viaH2, viaH1, `${init.method ?? 'GET'} ${path}: the same answer over h2 and HTTP/1.1`)
  }
  t.same(origins.h2.seen.map((s) => s.httpVersion), ['2.0', '2.0', '2.0'], 'the h2 origin was spoken to in HTTP/2')
  t.same(origins.h2.seen.map((s) => [s.method, s.url, s.body.length]), origins.h1.seen.map((s) => [s.method, s.url, s.body.length]))
  t.equal(origins.h2.seen[0]!.host, new URL(origins.h2.url).host, ':authority is the backend')
  t.equal(origins.h2.seen[0]!.forwardedProto, 'http')
})

t.test('concurrent exchanges share one HTTP/2 connection', async (t) => {
  const cert = makeCerts()
  t.teardown(cert.cleanup)
  const origins = await startOrigins(t, cert)
  const proxy = await startTestProxy(t, { backend: origins.h2.url, ca: cert.caFile, backendH2: true })
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => fetchText(`${proxy.url}/n${i}`)))
  t.same(answers.map((a) => a.body), Array.from({ length: 20 }, (_, i) => `GET /n${i} 0`))
  t.equal(origins.h2.sessions.length, 1, 'one h2 session carried all 20 exchanges')
})

t.test('without backendH2 an HTTP/2-only backend is unreachable (502): h2 is opt-in', async (t) => {
  const cert = makeCerts()
  t.teardown(cert.cleanup)
  const origins = await startOrigins(t, cert)
  const proxy = await startTestProxy(t, { backend: origins.h2.url, ca: cert.caFile })
  t.equal((await fetchText(`${proxy.url}/`)).status, 502)
})

t.test('--backend-h2 from the CLI', async (t) => {
  const cert = makeCerts()
  t.teardown(cert.cleanup)
  const origins = await startOrigins(t, cert)
  const run = runCli(t, ['--listen', '127.0.0.1:0', origins.h2.url, '--ca', cert.caFile, '--backend-h2', '--quiet'])
  await new Promise<void>((resolve, reject) => {
    run.child.stdout?.on('data', () => /listening on/.test(run.stdout()) && resolve())
    void run.exited.then((code) => reject(new Error(`exited ${code}: ${run.stderr()}`)))
  })
  const url = /listening on (\S+)/.exec(run.stdout())![1]!
  t.equal((await fetchText(`${url}/cli`)).body, 'GET /cli 0')
  t.equal(origins.h2.seen[0]!.httpVersion, '2.0')
})
