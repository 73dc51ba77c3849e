// User hooks in each phase of an exchange: what they may change, what they see, and what happens when one throws.
import t from 'tap'
import { request } from 'undici'
import type { Exchange, ExchangeEnd, Hooks } from '../src/index.js'
import { startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

t.test('request phase: a hook answers before any backend is picked, so no balancing turn is taken', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const blocked: Hooks = { c1Request: ({ request }) => (request.c2Path === '/blocked' ? { status: 403, body: 'no\n' } : undefined) }
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url], hooks: [blocked] })
  let order = ''
  for (const path of ['/1', '/blocked', '/2', '/blocked', '/3', '/4']) {
    if (path === '/blocked') {
      const res = await request(proxy.url + path)
      t.equal(res.statusCode, 403)
      t.equal(await res.body.text(), 'no\n', 'the hook\'s body')
    } else order += (await whoServes(proxy.url, path)).name
  }
  t.equal(order, 'abab', 'round-robin unbroken: the answered requests took no turn')
  t.same([...a!.seen, ...b!.seen].filter((p) => p === '/blocked'), [], 'no backend saw /blocked')
})

t.test('a refused request (a framing check, built in as a request-phase hook) takes no balancing turn either', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const proxy = await startTestProxy(t, { backend: [a!.url, b!.url] })
  let order = (await whoServes(proxy.url, '/1')).name
  const refused = await openRaw(t, proxy.port, 'CONNECT /tunnel HTTP/1.1\r\nHost: x\r\n\r\n')
  t.match(await refused.waitForText(/^HTTP\/1\.1 405/), /^HTTP\/1\.1 405/, 'CONNECT refused')
  const twice = await openRaw(t, proxy.port, 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')
  t.match(await twice.waitForText(/^HTTP\/1\.1 400/), /^HTTP\/1\.1 400/, 'two Content-Lengths refused')
  order += (await whoServes(proxy.url, '/2')).name + (await whoServes(proxy.url, '/3')).name
  t.equal(order, 'aba', 'the next requests go on where the cycle was')
})

t.test('backend request, response head and body phases change what goes out and what comes back', async (t) => {
  let release = () => {}
  const origin = await startOrigin(t, (req, res) => {
    if (req.url!.startsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first ')
      release = () => res.end('second')
      return
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '5' }).end('bytes')
  })
  const hooks: Hooks[] = [
    { c2Request: (_e, head) => { head.headers.push('x-hooked', '1'); head.path += head.path.includes('?') ? '&by=hook' : '?by=hook' } },
    { c2ResponseHead: (_e, head) => { head.headers['x-seen'] = '1'; head.status = head.status === 200 ? 203 : head.status } },
    {
      c2ResponseHead: (exchange, head) => {
        if (String(head.headers['content-type']).startsWith('text/plain')) {
          delete head.headers['content-length']
          shouting.add(exchange.id)
        }
      },
      c2ResponseBody: (exchange, chunk, last) =>
        shouting.has(exchange.id) ? Buffer.from(chunk.toString().toUpperCase() + (last ? '!' : '')) : chunk,
    },
  ]
  const shouting = new Set<number>()
  const proxy = await startTestProxy(t, { backend: origin.url, hooks })
  const plain = await request(`${proxy.url}/bytes`)
  t.equal(plain.statusCode, 203, 'the status as the head phase set it')
  t.equal(plain.headers['x-seen'], '1', 'a header the head phase added')
  t.equal(plain.headers['content-length'], '5', 'Content-Length kept when the body phase leaves the body as it is')
  t.equal(await plain.body.text(), 'bytes', 'an untouched body')
  const seen = origin.seen[0]!
  t.equal(seen.headers['x-hooked'], '1', 'the backend got the header the backend-request phase added')
  t.equal(seen.url, '/bytes?by=hook', 'and the path it changed')
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1', 'the built-in phase ran before: X-Forwarded-For is there')

  const stream = await request(`${proxy.url}/stream`)
  const chunks = stream.body[Symbol.asyncIterator]()
  const first = await chunks.next()
  t.equal(Buffer.from(first.value as Buffer).toString(), 'FIRST ', 'the first chunk transformed, while the backend still sends')
  release()
  let rest = ''
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest += Buffer.from(next.value as Buffer).toString()
  t.equal(rest, 'SECOND!', 'the last chunk, and what the body phase added at the end')
  t.notOk(stream.headers['content-length'], 'chunked: the body phase changed the length')
})

t.test('end phase: every exchange once, with its outcome and figures', async (t) => {
  const [good] = await startNamedOrigins(t, ['good'])
  const dead = await startNamedOrigins(t, ['dead'])
  await dead[0]!.kill()
  const ends: Array<[string, ExchangeEnd]> = []
  const record: Hooks = { end: (exchange: Exchange, end) => void ends.push([exchange.request.url, end]) }
  const proxy = await startTestProxy(t, { backend: [dead[0]!.url, good!.url], balance: 'round-robin', hooks: [record], maxFails: 100 })
  await (await request(`${proxy.url}/retried`)).body.text()
  await (await request(`${proxy.url}/plain`)).body.text()
  const refused = await openRaw(t, proxy.port, 'CONNECT /tunnel HTTP/1.1\r\nHost: x\r\n\r\n')
  await refused.waitForText(/^HTTP\/1\.1 405/)
  const gone = await openRaw(t, proxy.port, 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n')
  await waitFor(() => good!.held.length > 0, 'the held request at the backend')
  gone.socket.destroy()
  await waitFor(() => ends.length === 4, 'four ends')
  const byUrl = new Map(ends)
  const retried = byUrl.get('/retried')!
  t.equal(retried.outcome, 'complete')
  t.equal(retried.status, 200)
  t.equal(retried.retried.length, 1, 'one failed attempt before the answer')
  t.equal(retried.retried[0]?.backend.url, dead[0]!.url)
  t.equal(byUrl.get('/plain')?.bytes, 'good'.length, 'the body bytes sent')
  t.equal([...byUrl.values()].find((e) => e.status === 405)?.outcome, 'refused')
  t.equal(byUrl.get('/hold')?.outcome, 'client-gone')
  t.equal(byUrl.get('/hold')?.status, 499)
  good!.release()
})

t.test('a hook that throws: 502 before the head went out, a cut connection after; the proxy keeps serving', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('part one, ')
    setImmediate(() => res.end('part two'))
  })
  const boom = (where: string) => (exchange: Exchange) => {
    if (exchange.request.url === where) throw new Error(`boom in ${where}`)
  }
  const hooks: Hooks[] = [{
    c1Request: boom('/request'),
    c2Request: boom('/backend-request'),
    c2ResponseHead: boom('/head'),
    // the first chunk goes out with the held head; the second finds the head sent
    c2ResponseBody: (exchange, chunk) => { if (chunk.toString() === 'part two') boom('/body')(exchange); return chunk },
    end: boom('/end'),
  }]
  const errors: string[] = []
  const proxy = await startTestProxy(t, { backend: origin.url, hooks })
  const stderr = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((line: string) => errors.push(String(line)) > 0) as unknown as typeof process.stderr.write
  t.teardown(() => void (process.stderr.write = stderr))
  for (const where of ['/request', '/backend-request', '/head']) {
    const res = await request(proxy.url + where)
    t.equal(res.statusCode, 502, `${where}: 502 while nothing was sent`)
    await res.body.text()
  }
  const body = await request(proxy.url + '/body')
  t.equal(body.statusCode, 200, '/body: the head went out first')
  const cut = await body.body.text().then(() => 'complete', () => 'cut')
  t.equal(cut, 'cut', '/body: then the connection is cut, never a complete-looking body')
  const end = await request(proxy.url + '/end')
  t.equal(await end.body.text(), 'part one, part two', '/end: the client got it all; the end phase throws after')
  const ok = await request(proxy.url + '/after')
  t.equal(ok.statusCode, 200, 'the proxy keeps serving')
  await ok.body.text()
  await waitFor(() => errors.filter((l) => /a \w+ hook threw: boom in/.test(l)).length === 5, 'one stderr line per throwing hook')
  process.stderr.write = stderr
  for (const phase of ['c1Request', 'c2Request', 'c2ResponseHead', 'c2ResponseBody', 'end']) {
    t.ok(errors.some((l) => l.includes(`a ${phase} hook threw`)), `the line names the ${phase} phase`)
  }
})

t.test('hooks are checked at start: one-line errors', async (t) => {
  const { startProxy } = await import('../src/index.js')
  await t.rejects(startProxy({ hooks: [{ c1Reqest() {} } as Hooks] }), /^hooks\[0\]: unknown phase "c1Reqest"/)
  await t.rejects(startProxy({ hooks: [{ end: 'x' } as unknown as Hooks] }), /^hooks\[0\]\.end: want a function/)
})
