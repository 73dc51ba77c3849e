// One access-log line per exchange on stdout in the default short format (method, path, status, bytes, duration, backend); --quiet prints none.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, type CliRun } from './helpers/proxy.js'

/** Four exchanges: 200 with a query, 201 on POST, 404, and 502 from a route to a closed port. */
async function exchanges(url: string): Promise<void> {
  const sent: Array<[path: string, method: string, want: number]> = [
    ['/hello?x=1&y=2', 'GET', 200],
    ['/items', 'POST', 201],
    ['/missing', 'GET', 404],
    ['/dead/end', 'GET', 502],
  ]
  for (const [path, method, want] of sent) {
    const res = await request(`${url}${path}`, { method, body: method === 'POST' ? 'new item' : undefined })
    await res.body.text()
    if (res.statusCode !== want) throw new Error(`${method} ${path}: want ${want}, got ${res.statusCode}`)
  }
}

async function stop(t: Test, run: CliRun): Promise<void> {
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'want exit 0 on SIGTERM')
}

t.test('the default prints one line per exchange: method, path with query, status, bytes, duration, backend', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.method === 'POST') return void res.writeHead(201).end('created')
    if (req.url === '/missing') return void res.writeHead(404).end('not here')
    res.end('hello')
  })
  const dead = 'http://127.0.0.1:9'
  const run = await startCliProxy(t, [origin.url, '--route', `/dead=${dead}`])
  await exchanges(run.url)
  await waitFor(() => run.stdout().split('\n').length >= 6, `four access lines; stdout so far: ${JSON.stringify(run.stdout())}`)
  await stop(t, run)
  const [ready, ...lines] = run.stdout().trimEnd().split('\n')
  t.equal(ready, `uproxy listening on ${run.url}`, 'want the ready line first')
  const ms = '\\d+(\\.\\d+)?ms'
  const want = [
    new RegExp(`^GET /hello\\?x=1&y=2 200 5B ${ms} ${origin.url}$`),
    new RegExp(`^POST /items 201 7B ${ms} ${origin.url}$`),
    new RegExp(`^GET /missing 404 8B ${ms} ${origin.url}$`),
    new RegExp(`^GET /dead/end 502 85B ${ms} ${dead}$`),
  ]
  t.equal(lines.length, want.length, `want exactly one line per exchange, got ${JSON.stringify(lines)}`)
  want.forEach((pattern, i) => t.match(lines[i], pattern, `line ${i + 1}: want ${pattern}`))
  t.match(run.stderr(), /^uproxy: GET \/dead\/end -> http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED/m, 'the 502 reason goes to stderr, not the access log')
})

t.test('--quiet prints no access log: stdout holds only the ready line', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    if (req.method === 'POST') return void res.writeHead(201).end('created')
    if (req.url === '/missing') return void res.writeHead(404).end('not here')
    res.end('hello')
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--route', '/dead=http://127.0.0.1:9'])
  await exchanges(run.url)
  t.equal(origin.seen.length, 3, 'the exchanges went through')
  // the access log is flushed at shutdown, so after exit stdout is complete
  await stop(t, run)
  t.equal(run.stdout(), `uproxy listening on ${run.url}\n`, 'want the ready line and nothing else')
})
