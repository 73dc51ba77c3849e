// The exchange inspector over real sockets: its listener and ready line, /events, /exchanges, /har, masking, the Host guard.
import t, { type Test } from 'tap'
import { send } from './helpers/http-client.js'
import { followEvents, KINDS, readRecords, sendEveryKind, startInspectedSite, STREAM_CHUNKS, waitForRecord } from './helpers/inspector.js'
import { startCliProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'
import { waitFor } from './helpers/wait.js'
import { startTestProxy } from './helpers/proxy.js'
import type { ExchangeRecord } from '../src/inspector/exchange-record.js'

const SECRET_VALUES = ['Bearer top-secret', 'id=client-secret', 'session=origin-secret']

t.test('the CLI prints where the inspector listens, with the real port, and serves the page there', async (t) => {
  const run = await startCliProxy(t, ['--inspect', '127.0.0.1:0', '--quiet'])
  await waitFor(() => /^uproxy inspector on /m.test(run.stdout()), 'the inspector line')
  const port = /^uproxy inspector on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(run.stdout())?.[1]
  t.ok(port !== undefined && port !== '0', `got stdout ${JSON.stringify(run.stdout())}, want "uproxy inspector on http://127.0.0.1:PORT" with the real port`)
  t.match(run.stdout(), /^uproxy listening on http:\/\/127\.0\.0\.1:\d+\nuproxy inspector on /, 'the listening line stays first')
  const page = await send(`http://127.0.0.1:${port}/`)
  t.equal(page.status, 200, `GET /: got ${page.status}, want 200`)
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8', 'GET / is the HTML page')
  t.match(page.body, /<title>uproxy inspector<\/title>/, 'the page names itself')
  for (const asset of ['/inspector.css', '/inspector.js']) {
    const got = await send(`http://127.0.0.1:${port}${asset}`)
    t.equal(got.status, 200, `GET ${asset}: got ${got.status}, want 200`)
  }
  t.notMatch(run.stderr(), /warning/, 'no warning on loopback')
})

t.test('an inspector on a non-loopback address is warned about on stderr', async (t) => {
  const run = await startCliProxy(t, ['--inspect', '0.0.0.0:0', '--quiet'])
  await waitFor(() => /warning: the inspector on http:\/\/0\.0\.0\.0:\d+ is reachable from other machines/.test(run.stderr()),
    `the warning (stderr so far: ${JSON.stringify(run.stderr())})`)
  t.pass('warned')
})

t.test('a bad --inspect is one line and exit 2', async (t) => {
  const { runCli } = await import('./helpers/proxy.js')
  const run = runCli(t, ['--inspect', 'nowhere', '--listen', '127.0.0.1:0'])
  t.equal(await run.exited, 2, 'got its exit code, want 2')
  t.equal(run.stderr(), 'uproxy: --inspect: "nowhere" is not HOST:PORT\n', 'one line naming the flag')
})

t.test('every kind of exchange has its row, its timeline and its events', async (t) => {
  const site = await startInspectedSite(t)
  const events = await followEvents(t, site.inspector)
  await sendEveryKind(site)
  const records = await readRecords(site.inspector)
  const byPath = (path: string) => records.find((r) => r.path === path) as ExchangeRecord
  const whats = (record: ExchangeRecord, side: 'c1' | 'c2') => record[side].map((e) => e.what)

  const fast = byPath(KINDS.fast)
  t.match(fast, { method: 'GET', status: 200, outcome: 'complete', route: '/', backend: site.origin.url, closedFirst: undefined },
    'fast: GET, 200, complete, its route and backend')
  t.equal(fast.url, `${site.proxy.url}${KINDS.fast}`, `fast: got url ${fast.url}, want the URL the client asked for`)
  t.equal(fast.bytesOut, Buffer.byteLength('origin says /fast'), `fast: got ${fast.bytesOut} bytes out, want the body's`)
  t.ok(typeof fast.ms === 'number' && fast.ms > 0, `fast: got ms ${fast.ms}, want a duration`)
  t.same(whats(fast, 'c1'), ['request head', 'routed', 'response head', 'end'], 'fast: the C1 timeline')
  t.match(whats(fast, 'c2'), ['attempt', /^(new connection|connection reused)$/, 'request head sent', 'first byte', 'response head', 'response body', 'end'],
    'fast: the C2 timeline, in order')
  t.ok(fast.connection !== undefined, 'fast: its connection is known')

  const streaming = byPath(KINDS.streaming)
  t.equal(streaming.outcome, 'complete', 'streaming: complete')
  const chunks = streaming.c2.filter((e) => e.what === 'response body')
  t.equal(chunks.reduce((n, e) => n + (e.chunks ?? 0), 0), streaming.c2Chunks, 'streaming: the chunk events add up to every chunk')
  t.ok(streaming.c2Chunks >= 2, `streaming: got ${streaming.c2Chunks} chunks, want several (the origin sent ${STREAM_CHUNKS})`)
  t.ok(chunks.length <= 6, `streaming: got ${chunks.length} chunk events, want at most 6 (many are summed into one)`)
  t.equal(chunks.reduce((n, e) => n + (e.bytes ?? 0), 0), streaming.bytesOut, 'streaming: the chunks add up to the bytes sent')

  const aborted = byPath(KINDS.aborted)
  t.match(aborted, { outcome: 'client-gone', closedFirst: 'client', status: 200 }, 'aborted: client gone, the client closed first, 200 was sent')
  t.ok(whats(aborted, 'c1').includes('client closed first'), 'aborted: C1 says the client closed first')
  t.ok(whats(aborted, 'c2').includes('aborted: the client left'), 'aborted: C2 says it was aborted because the client left')

  const down = byPath(KINDS.down)
  t.match(down, { outcome: 'backend-error', status: 502, closedFirst: 'backend', backend: site.down, route: '/down' }, 'down: 502, backend error')
  t.ok(down.c2.some((e) => e.what === 'failed' && e.detail === 'ECONNREFUSED'), 'down: C2 says the connection was refused')

  const timeout = byPath(KINDS.timeout)
  t.match(timeout, { outcome: 'timeout', status: 504, closedFirst: 'backend' }, 'timeout: 504')

  const refused = byPath(KINDS.refused)
  t.match(refused, { outcome: 'refused', status: 400, route: undefined, backend: undefined, c2: [] }, 'refused: 400, no backend asked')

  const retried = records.find((r) => r.path.startsWith('/retry/') && r.retried.length > 0)
  t.ok(retried, 'one /retry exchange went again on another backend')
  t.match(retried, { outcome: 'complete', status: 200, backend: site.origin.url }, 'retried: answered by the origin')
  t.equal(retried?.c2.filter((e) => e.what === 'attempt').length, 2, 'retried: two attempts on its C2 timeline')

  await waitFor(() => events.some((e) => e.type === 'ended' && e.path === '/secret'), 'the last exchange\'s ended event')
  const fastEvents = events.filter((e) => e.id === fast.id)
  t.same(fastEvents.map((e) => e.type).filter((type) => type !== 'progress'), ['started', 'attempt', 'response-head', 'ended'],
    'the fast exchange\'s events, in order')
  t.ok(fastEvents.every((e) => e.path === KINDS.fast && e.exchange.id === fast.id), 'each event names the exchange\'s id and path')
  const startedRunning = events.find((e) => e.type === 'started' && e.path === KINDS.aborted)
  t.equal(startedRunning?.exchange.outcome, 'running', 'an exchange is told while it is still running')
})

t.test('GET /har is HAR 1.2, with every exchange, aborted ones included', async (t) => {
  const site = await startInspectedSite(t)
  await sendEveryKind(site)
  const answer = await send(`${site.inspector}/har`)
  t.equal(answer.headers['content-type'], 'application/json; charset=utf-8', '/har is JSON')
  const har = JSON.parse(answer.body) as { log: Har }
  checkHar(t, har.log)
  const records = await readRecords(site.inspector)
  t.equal(har.log.entries.length, records.length, `got ${har.log.entries.length} entries, want one per exchange (${records.length})`)
  const entry = (path: string) => har.log.entries.find((e) => new URL(e.request.url).pathname + new URL(e.request.url).search === path)
  t.match(entry(KINDS.aborted), { _outcome: 'client-gone', response: { status: 200 } }, 'the aborted exchange is in, as client-gone')
  t.match(entry(KINDS.refused), { _outcome: 'refused', response: { status: 400 } }, 'the refused exchange is in')
  t.match(entry(KINDS.fast), { request: { method: 'GET', queryString: [{ name: 'q', value: '1' }] }, response: { status: 200 },
    _backend: site.origin.url, _c1: Array, _c2: Array }, 'the fast exchange: its request, response, backend and timelines')
})

t.test('secrets are masked in /exchanges, /events and /har; --inspect-secrets shows them', async (t) => {
  for (const secrets of [false, true]) {
    const site = await startInspectedSite(t, { inspectSecrets: secrets })
    const events = await followEvents(t, site.inspector)
    await send(`${site.proxy.url}/secret`, {
      headers: { authorization: 'Bearer top-secret', 'proxy-authorization': 'Basic cHJveHk=', cookie: 'id=client-secret' },
    })
    const record = await waitForRecord(site.inspector, (r) => r.path === '/secret' && r.outcome === 'complete', '/secret to end')
    await waitFor(() => events.some((e) => e.type === 'ended'), 'the ended event')
    const everywhere = [JSON.stringify(await readRecords(site.inspector)), JSON.stringify(events), (await send(`${site.inspector}/har`)).body]
    for (const [where, text] of ['/exchanges', '/events', '/har'].map((where, i) => [where, everywhere[i] as string])) {
      for (const value of [...SECRET_VALUES, 'Basic cHJveHk=']) {
        if (secrets) t.ok(text.includes(value), `--inspect-secrets: ${where} shows ${value}`)
        else t.notOk(text.includes(value), `${where} never shows ${value}`)
      }
    }
    const masked = record.requestHeaders.filter(([, value]) => value === '[masked]').map(([name]) => name).sort()
    t.same(masked, secrets ? [] : ['authorization', 'cookie', 'proxy-authorization'], `secrets ${secrets}: got masked ${masked}`)
    t.same(record.responseHeaders.filter(([name]) => name === 'set-cookie').map(([, v]) => v), [secrets ? 'session=origin-secret' : '[masked]'],
      'Set-Cookie as the setting says')
  }
})

t.test('the inspector answers only a Host that is an address or localhost (DNS rebinding)', async (t) => {
  const site = await startInspectedSite(t)
  const port = Number(new URL(site.inspector).port)
  const evil = await rawExchange(port, 'GET /har HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n')
  t.match(evil.text, /^HTTP\/1\.1 403 /, `Host attacker.example: got ${JSON.stringify(evil.text.slice(0, 20))}, want 403`)
  t.notMatch(evil.text, /"log"/, 'and no HAR')
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
    const ok = await rawExchange(port, `GET /exchanges HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    t.match(ok.text, /^HTTP\/1\.1 200 /, `Host ${host}: 200`)
  }
  const post = await send(`${site.inspector}/har`, { method: 'POST' })
  t.equal(post.status, 405, `POST: got ${post.status}, want 405`)
  const missing = await send(`${site.inspector}/nope`)
  t.equal(missing.status, 404, `GET /nope: got ${missing.status}, want 404`)
})

t.test('off by default: no inspector, nothing watching', async (t) => {
  const proxy = await startTestProxy(t, { backend: 'http://127.0.0.1:9' })
  t.equal(proxy.inspectorUrl, undefined, 'no inspector URL')
  const { exchangePhases } = await import('../src/exchange/built-in-phases.js')
  const { toConfig } = await import('../src/config/config.js')
  const phases = exchangePhases(toConfig({}), [], { access: undefined, error: () => {}, flush: () => {}, reopen: () => {}, lines: () => {} })
  t.equal(phases.watcher, undefined, 'no watcher in the phases: every observation point is one undefined test')
})

/** The parts of HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) this test reads. */
interface Har {
  version: string
  creator: { name: string; version: string }
  entries: {
    startedDateTime: string
    time: number
    request: { method: string; url: string; httpVersion: string; cookies: unknown[]; headers: { name: string; value: string }[];
      queryString: { name: string; value: string }[]; headersSize: number; bodySize: number }
    response: { status: number; statusText: string; httpVersion: string; cookies: unknown[]; headers: { name: string; value: string }[];
      content: { size: number; mimeType: string }; redirectURL: string; headersSize: number; bodySize: number }
    cache: object
    timings: Record<'blocked' | 'dns' | 'connect' | 'ssl' | 'send' | 'wait' | 'receive', number>
    [custom: `_${string}`]: unknown
  }[]
}

/** Checks `log` against HAR 1.2's required fields and types, and that the timings add up to each entry's time. */
function checkHar(t: Test, log: Har): void {
  t.equal(log.version, '1.2', 'log.version is 1.2')
  t.match(log.creator, { name: 'uproxy', version: String }, 'log.creator names uproxy')
  t.ok(Array.isArray(log.entries) && log.entries.length > 0, 'log.entries is a non-empty array')
  const isPairs = (list: unknown) => Array.isArray(list) && list.every((p) => typeof p.name === 'string' && typeof p.value === 'string')
  for (const entry of log.entries) {
    const at = `entry ${entry.request?.url}`
    const problems: string[] = []
    const want = (ok: boolean, what: string) => void (ok || problems.push(what))
    want(!Number.isNaN(Date.parse(entry.startedDateTime)) && /T.*Z$/.test(entry.startedDateTime), 'startedDateTime ISO 8601')
    want(typeof entry.time === 'number' && entry.time >= 0, 'time >= 0')
    const { request, response, timings } = entry
    want(typeof request.method === 'string' && /^https?:\/\//.test(request.url) && typeof request.httpVersion === 'string', 'request method, url, httpVersion')
    want(Array.isArray(request.cookies) && isPairs(request.headers) && isPairs(request.queryString), 'request cookies, headers, queryString')
    want(typeof request.headersSize === 'number' && typeof request.bodySize === 'number', 'request sizes')
    want(Number.isInteger(response.status) && typeof response.statusText === 'string' && typeof response.httpVersion === 'string', 'response status')
    want(Array.isArray(response.cookies) && isPairs(response.headers), 'response cookies, headers')
    want(typeof response.content?.size === 'number' && typeof response.content?.mimeType === 'string', 'response content')
    want(typeof response.redirectURL === 'string' && typeof response.headersSize === 'number' && typeof response.bodySize === 'number', 'response sizes')
    want(typeof entry.cache === 'object' && entry.cache !== null, 'cache')
    for (const name of ['send', 'wait', 'receive'] as const) want(typeof timings[name] === 'number' && timings[name] >= 0, `timings.${name} >= 0`)
    for (const name of ['blocked', 'dns', 'connect', 'ssl'] as const) want(typeof timings[name] === 'number' && timings[name] >= -1, `timings.${name} >= -1`)
    // HAR 1.2: ssl is part of connect; the others sum to time
    const sum = (['blocked', 'dns', 'connect', 'send', 'wait', 'receive'] as const).reduce((n, k) => n + Math.max(0, timings[k]), 0)
    want(Math.abs(sum - entry.time) < 0.01, `timings sum ${sum} = time ${entry.time}`)
    want(Object.keys(entry).every((key) => ['startedDateTime', 'time', 'request', 'response', 'cache', 'timings'].includes(key) || key.startsWith('_')),
      'custom fields start with _')
    t.same(problems, [], `${at}: HAR 1.2 fields`)
  }
}
