// Step 13's README: round-robin over two backends; a refused backend is retried elsewhere (GET/HEAD), out for --fail-timeout, then back.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { startStep } from './helpers/tutorial-step.ts'
import { send } from './helpers/http-client.ts'
import { waitFor } from './helpers/wait.ts'

/** An origin answering its name, that can be stopped and started again on its port. */
async function named(t: Test, name: string) {
  let server: http.Server | undefined
  let port = 0
  const start = async () => {
    server = http.createServer((req, res) => void req.resume().on('end', () => res.end(`${name}\n`)))
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  }
  const stop = () => new Promise<void>((resolve) => {
    server!.closeAllConnections()
    server!.close(() => resolve())
  })
  await start()
  t.teardown(() => (server?.listening ? stop() : undefined))
  return { url: () => `http://127.0.0.1:${port}`, start, stop }
}

t.test('the README run: two step-1 origins served in turn; stop one, every curl still answers', async (t) => {
  const one = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const two = await startStep(t, '01-origin-server', ['--listen', '127.0.0.1:0'])
  const proxy = await startStep(t, '13-load-balancing', ['--listen', '127.0.0.1:0', '--backend', `${one.url},${two.url}`])
  t.equal(proxy.stdout[0], `backends: ${one.url}, ${two.url}`, 'the backends are printed first')
  t.match(proxy.readyLine, /^proxy to 2 backends listening on http:\/\/127\.0\.0\.1:\d+$/)
  const hosts: string[] = []
  for (let i = 0; i < 4; i++) hosts.push(JSON.parse((await send(`${proxy.url}/headers`)).body).headers.host)
  const [h1, h2] = [new URL(one.url).host, new URL(two.url).host]
  t.same(hosts, [h1, h2, h1, h2], 'round-robin: each backend in turn')
  two.child.kill('SIGKILL')
  await new Promise((resolve) => two.child.once('exit', resolve))
  for (let i = 0; i < 4; i++) {
    const got = await send(`${proxy.url}/headers`)
    t.equal(got.status, 200, `curl ${i + 1} with the second origin gone: 200`)
    t.equal(JSON.parse(got.body).headers.host, h1, `curl ${i + 1}: answered by the first origin`)
  }
  await proxy.waitForLine(new RegExp(`^C1: GET /headers → ${two.url}$`))
  await proxy.waitForLine(new RegExp(`^C2 failed: GET /headers on ${two.url}: ECONNREFUSED$`))
  await proxy.waitForLine(new RegExp(`^backend ${two.url} is down for 10 s$`))
  await proxy.waitForLine(new RegExp(`^C1: GET /headers → ${one.url} \\(retry\\)$`))
  t.equal(proxy.stderr.filter((l) => l.includes('is down')).length, 1, 'one failure, one line: the backend is out, not tried again')
})

t.test('--fail-timeout: the backend is used again once it is over; POST is never retried', async (t) => {
  const a = await named(t, 'a')
  const b = await named(t, 'b')
  const proxy = await startStep(t, '13-load-balancing', ['--listen', '127.0.0.1:0', '--backend', `${a.url()},${b.url()}`,
    '--fail-timeout', '1'])
  await b.stop()
  const post = await send(`${proxy.url}/`, { method: 'POST' })
  const post2 = await send(`${proxy.url}/`, { method: 'POST' })
  const statuses = [post.status, post2.status].sort()
  t.same(statuses, [200, 502], 'the POST that met b gets 502: it is never sent twice')
  t.match([post, post2].find((r) => r.status === 502)?.body, /^502 Bad Gateway: ECONNREFUSED\n$/)
  const bodies: string[] = []
  for (let i = 0; i < 3; i++) bodies.push((await send(`${proxy.url}/`)).body)
  t.same(bodies, ['a\n', 'a\n', 'a\n'], 'b is out')
  await b.start()
  const started = Date.now()
  let got = ''
  await waitFor(async () => (got = (await send(`${proxy.url}/`)).body) === 'b\n', 'b to answer again', 5000).catch(() => undefined)
  t.equal(got, 'b\n', 'b answers again')
  t.ok(Date.now() - started < 2500, `within about the 1 s fail-timeout (took ${Date.now() - started} ms)`)
})

t.test('every backend down: a 502 with the reason, yet still tried, so one that returns answers at once', async (t) => {
  const a = await named(t, 'a')
  const b = await named(t, 'b')
  const proxy = await startStep(t, '13-load-balancing', ['--listen', '127.0.0.1:0', '--backend', `${a.url()},${b.url()}`])
  await b.stop()
  t.same([(await send(`${proxy.url}/`)).body, (await send(`${proxy.url}/`)).body], ['a\n', 'a\n'], 'b refused, retried on a')
  await a.stop()
  const got = await send(`${proxy.url}/`)
  t.equal(got.status, 502, 'both refused: 502')
  t.match(got.body, /^502 Bad Gateway: ECONNREFUSED\n$/)
  await a.start()
  t.equal((await send(`${proxy.url}/`)).body, 'a\n', 'both out for 10 s, yet a is tried, and answers')
})

t.test('--max-fails 2: one failure keeps a backend in rotation, the second takes it out', async (t) => {
  const a = await named(t, 'a')
  const b = await named(t, 'b')
  const proxy = await startStep(t, '13-load-balancing', ['--listen', '127.0.0.1:0', '--backend', `${a.url()},${b.url()}`,
    '--max-fails', '2'])
  await b.stop()
  const downLines = () => proxy.stderr.filter((l) => l.includes('is down')).length
  t.same([(await send(`${proxy.url}/`)).body, (await send(`${proxy.url}/`)).body], ['a\n', 'a\n'])
  t.equal(downLines(), 0, 'b failed once: still in rotation')
  t.same([(await send(`${proxy.url}/`)).body, (await send(`${proxy.url}/`)).body], ['a\n', 'a\n'])
  await proxy.waitForLine(new RegExp(`^backend ${b.url()} is down for 10 s$`))
  t.equal(proxy.stderr.filter((l) => l.startsWith('C2 failed')).length, 2, 'b was tried twice, then taken out')
})
