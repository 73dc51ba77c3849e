// --access-log-format combined and json, parsed back field by field; --access-log FILE, reopened on SIGUSR1.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { openRaw } from './helpers/raw-socket.js'
import { runCli, startCliProxy, type CliRun } from './helpers/proxy.js'

/** A port that was just free: nothing listens there, so a connection is refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await request(url, { headers })
  await res.body.text()
  return res.statusCode
}

async function stop(t: Test, run: CliRun): Promise<void> {
  run.child.kill('SIGTERM')
  t.equal(await run.exited, 0, 'want exit 0 on SIGTERM')
}

/** The access lines on stdout, after the ready line. */
function accessLines(run: CliRun): string[] {
  return run.stdout().trimEnd().split('\n').slice(1)
}

// nginx's combined format, then $upstream_addr $upstream_response_time
const COMBINED = new RegExp('^(?<client>\\S+) - - \\[(?<time>[^\\]]+)\\] "(?<method>\\S+) (?<target>\\S+) HTTP/1\\.1" ' +
  '(?<status>\\d{3}) (?<bytes>\\d+) "(?<referer>(?:[^"\\\\]|\\\\x[0-9A-F]{2})*)" "(?<agent>(?:[^"\\\\]|\\\\x[0-9A-F]{2})*)" ' +
  '(?<addr>-|\\S+(?:, \\S+)*) (?<times>-|\\d+\\.\\d{3}(?:, \\d+\\.\\d{3})*)$')

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** '03/Dec/2026:01:54:17 +0100' → epoch ms. */
function parseTimeLocal(text: string): number {
  const m = /^(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text)
  if (!m) return NaN
  const [, day, month, year, h, min, s, sign, zh, zm] = m
  const utc = Date.UTC(Number(year), MONTHS.indexOf(month as string), Number(day), Number(h), Number(min), Number(s))
  return utc - (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm)) * 60_000
}

t.test('combined: nginx combined plus upstream address and time, each field parsed back', async (t) => {
  const origin = await startOrigin(t, (_req, res) => res.end('hello'))
  const dead = await closedPort()
  // another closed port: a failure on /dead takes that backend out, and the retry must meet a fresh one
  const dead2 = await closedPort()
  const run = await startCliProxy(t, [origin.url, '--access-log-format', 'combined',
    '--route', `/dead=http://127.0.0.1:${dead}`, '--route', `/retry=http://127.0.0.1:${dead2},${origin.url}`])
  const proxyPort = Number(new URL(run.url).port)
  const before = Date.now()
  // headers go out as latin1: these two characters are the UTF-8 bytes of é; not last, as uWS 20.30
  // trims bytes above 0x7f from the end of a header value, as if they were white space
  t.equal(await get(`${run.url}/a?x=1`, { 'user-agent': 'curl/8 "quoted" caf\u00c3\u00a9 x', referer: 'http://example.com/from' }), 200)
  t.equal(await get(`${run.url}/dead/x`), 502)
  // round-robin starts with the first backend: the dead one, then a retry on the origin
  t.equal(await get(`${run.url}/retry/y`), 200)
  const raw = await openRaw(t, proxyPort, 'CONNECT /tunnel HTTP/1.1\r\nHost: a\r\n\r\n')
  await raw.waitForText(/^HTTP\/1\.1 405 /)
  await waitFor(() => accessLines(run).length >= 4, `four access lines; stdout so far: ${JSON.stringify(run.stdout())}`)
  await stop(t, run)

  const lines = accessLines(run)
  t.equal(lines.length, 4, `want one line per exchange, got ${JSON.stringify(lines)}`)
  const fields = lines.map((line) => COMBINED.exec(line)?.groups)
  fields.forEach((f, i) => t.ok(f, `line ${i + 1} parses as combined: ${lines[i]}`))
  const [ok, failed, retried, refused] = fields as Array<Record<string, string>>
  const originAddr = `127.0.0.1:${origin.port}`

  t.equal(ok?.client, '127.0.0.1', 'the client address')
  const when = parseTimeLocal(ok?.time ?? '')
  t.ok(when >= Math.floor(before / 1000) * 1000 && when <= Date.now(), `got time ${ok?.time}, want now in [dd/Mon/yyyy:hh:mm:ss ±zzzz]`)
  t.same([ok?.method, ok?.target, ok?.status, ok?.bytes], ['GET', '/a?x=1', '200', '5'], 'request line, status, body bytes')
  t.equal(ok?.referer, 'http://example.com/from', 'the referer')
  t.equal(ok?.agent, 'curl/8 \\x22quoted\\x22 caf\\xC3\\xA9 x', 'the user agent, quotes and non-ASCII bytes escaped as nginx does')
  t.equal(ok?.addr, originAddr, 'the upstream address')
  t.match(ok?.times, /^\d+\.\d{3}$/, 'the upstream response time in seconds')

  t.same([failed?.status, failed?.bytes, failed?.referer, failed?.agent], ['502', '85', '-', '-'],
    "uproxy's own 502 page is counted in bytes; absent headers are -")
  t.equal(failed?.addr, `127.0.0.1:${dead}`, 'the backend that failed is the upstream')
  t.equal(retried?.addr, `127.0.0.1:${dead2}, ${originAddr}`, 'both attempts, as nginx lists them')
  t.match(retried?.times, /^\d+\.\d{3}, \d+\.\d{3}$/, 'a time for each attempt')
  t.same([refused?.method, refused?.target, refused?.status, refused?.addr, refused?.times], ['CONNECT', '/tunnel', '405', '-', '-'],
    'a refused request reached no upstream')
  t.equal(refused?.bytes, String('405 Method Not Allowed\n'.length), 'and its answer is counted in bytes')
})

t.test('json: one object a line, with the Host that tells virtual hosts apart', async (t) => {
  const origin = await startOrigin(t, (_req, res) => res.end('hello'))
  const run = await startCliProxy(t, [origin.url, '--access-log-format', 'json'])
  t.equal(await get(`${run.url}/one`, { host: 'a.example', 'user-agent': 'agent "one" \\ two' }), 200)
  t.equal(await get(`${run.url}/two?q=é`, { host: 'b.example' }), 200)
  await waitFor(() => accessLines(run).length >= 2, `two access lines; stdout so far: ${JSON.stringify(run.stdout())}`)
  await stop(t, run)
  const lines = accessLines(run)
  t.equal(lines.length, 2, `want one line per exchange, got ${JSON.stringify(lines)}`)
  const [one, two] = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  t.same(Object.keys(one ?? {}), ['time', 'client', 'method', 'host', 'path', 'status', 'bytes', 'duration_ms', 'referer', 'user_agent',
    'upstream_addr', 'upstream_response_ms'], 'the fields, in order')
  t.match(one, { client: '127.0.0.1', method: 'GET', host: 'a.example', path: '/one', status: 200, bytes: 5, referer: null,
    user_agent: 'agent "one" \\ two', upstream_addr: [`127.0.0.1:${origin.port}`] })
  t.ok(Math.abs(Date.parse(String(one?.time)) - Date.now()) < 60_000, `got time ${one?.time}, want an ISO 8601 time of now`)
  t.equal(typeof one?.duration_ms, 'number', 'the duration in ms')
  t.equal((one?.upstream_response_ms as number[]).length, 1, 'one upstream time')
  t.equal(two?.host, 'b.example', 'the other virtual host')
  t.equal(two?.path, '/two?q=%C3%A9', 'the path and query as sent')
})

t.test('--access-log FILE: lines go to the file; SIGUSR1 reopens it after logrotate moved it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-log-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const log = join(dir, 'access.log')
  const origin = await startOrigin(t, (_req, res) => res.end('hello'))
  const run = await startCliProxy(t, [origin.url, '--access-log', log])
  const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [])

  t.equal(await get(`${run.url}/first`), 200)
  await waitFor(() => lines(log).length === 1, 'the first line in the file')
  renameSync(log, `${log}.1`)
  t.equal(await get(`${run.url}/second`), 200)
  await waitFor(() => lines(`${log}.1`).length === 2, 'the second line still in the moved file')
  run.child.kill('SIGUSR1')
  await waitFor(() => existsSync(log), 'SIGUSR1 to create the file again')
  t.equal(await get(`${run.url}/third`), 200)
  await waitFor(() => lines(log).length === 1, 'the third line in the new file')
  await stop(t, run)

  t.match(lines(`${log}.1`), [/^GET \/first 200 5B /, /^GET \/second 200 5B /], 'the rotated file has the lines before SIGUSR1')
  t.match(lines(log), [/^GET \/third 200 5B /], 'the new file has the lines after it')
  t.equal(run.stdout(), `uproxy listening on ${run.url}\n`, 'stdout has only the ready line')
})

t.test('a bad --access-log-format or an unwritable --access-log exits 2 with one line', async (t) => {
  const format = runCli(t, ['--listen', '127.0.0.1:0', '--access-log-format', 'common'])
  t.equal(await format.exited, 2)
  t.equal(format.stderr(), 'uproxy: --access-log-format: want one of short, combined, json, got "common"\n')
  const file = runCli(t, ['--listen', '127.0.0.1:0', '--access-log', '/nonexistent/dir/access.log'])
  t.equal(await file.exited, 2)
  t.equal(file.stderr(), 'uproxy: --access-log: cannot open "/nonexistent/dir/access.log" (ENOENT)\n')
})
