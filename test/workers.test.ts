// --workers over real sockets: every worker serves, one log writer, shared health, a dead worker replaced, the port still exclusive.
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { parseCliArgs } from '../src/cli/cli-args.js'
import { toConfig } from '../src/config/config.js'
import { startProxy, type Proxy } from '../src/index.js'
import { send } from './helpers/http-client.js'
import { startNamedOrigins, whoServes } from './helpers/named-origins.js'
import { startTestProxy } from './helpers/proxy.js'
import { waitFor, within } from './helpers/wait.js'
import { load, workersOf } from './helpers/workers.js'

/** What this process writes on stderr while the test runs (the main process writes every worker's lines). */
function captureStderr(t: Test): () => string {
  let said = ''
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string | Uint8Array) => ((said += String(chunk)), true)) as typeof process.stderr.write
  t.teardown(() => void (process.stderr.write = write))
  return () => said
}

/** Until every worker has handled what was posted to it before: two rounds of questions to each. */
async function settle(proxy: Proxy): Promise<void> {
  await workersOf(proxy).countExchanges()
  await workersOf(proxy).countExchanges()
}

t.test('every worker serves, and the one access log has every line whole', async (t) => {
  const [a] = await startNamedOrigins(t, ['a'])
  const log = join(mkdtempSync(join(tmpdir(), 'uproxy-workers-')), 'access.log')
  const proxy = await startTestProxy(t, { backend: a!.url, workers: 2, quiet: false, accessLog: log })
  t.same(await load(t, proxy.url, 1000, 50), [], 'every answer was 200')
  const counts = await workersOf(proxy).countExchanges()
  t.equal(counts.length, 2, `got ${counts.length} workers, want 2`)
  t.ok(counts.every((n) => n > 0), `every worker served: got ${JSON.stringify(counts)}, want each > 0`)
  t.equal(counts[0]! + counts[1]!, 1000, `got ${counts[0]! + counts[1]!} exchanges in all, want 1000`)
  await proxy.close()
  const lines = readFileSync(log, 'utf8').split('\n').slice(0, -1)
  t.equal(lines.length, 1000, `got ${lines.length} access lines, want 1000`)
  const torn = lines.filter((line) => !/^GET \/n\d+ 200 1B \d+\.\dms http:\/\/127\.0\.0\.1:\d+$/.test(line))
  t.same(torn, [], 'no line is torn or interleaved with another')
  t.equal(new Set(lines.map((line) => line.split(' ')[1])).size, 1000, 'each request has its own line')
})

t.test('a port another process holds is refused, by 1 worker or several', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => holder.close())
  const port = (holder.address() as { port: number }).port
  for (const workers of [2, 1]) {
    await t.rejects(startProxy({ listen: `127.0.0.1:${port}`, quiet: true, workers }), {
      code: 'UPROXY_LISTEN', message: `cannot listen on 127.0.0.1:${port}: the address is in use or not available`,
    }, `workers ${workers}: refused`)
  }
  const [a] = await startNamedOrigins(t, ['a'])
  const first = await startTestProxy(t, { backend: a!.url, workers: 2 })
  await t.rejects(startProxy({ listen: `127.0.0.1:${first.port}`, quiet: true, workers: 2 }), { code: 'UPROXY_LISTEN' },
    'a second uproxy with workers cannot join the port of the first')
  await t.rejects(startProxy({ listen: `127.0.0.1:${first.port}`, quiet: true }), { code: 'UPROXY_LISTEN' },
    'nor can one without')
  t.equal((await whoServes(first.url)).name, 'a', 'the first still serves')
})

t.test('a worker that dies is logged and replaced; the proxy keeps serving', async (t) => {
  const stderr = captureStderr(t)
  const [a] = await startNamedOrigins(t, ['a'])
  const proxy = await startTestProxy(t, { backend: a!.url, workers: 2 })
  const [pid] = workersOf(proxy).pids
  process.kill(pid!, 'SIGKILL')
  await waitFor(() => stderr().includes(`uproxy: worker 0 (pid ${pid}) stopped (killed by SIGKILL); its connections are closed, starting another\n`),
    'the line saying worker 0 stopped')
  t.same(await load(t, proxy.url, 200, 20), [], 'every request after the death was answered 200')
  // new connections reach the replacement once it listens
  await waitFor(async () => (await send(`${proxy.url}/again`)).status === 200 && ((await workersOf(proxy).countExchanges())[0] ?? 0) > 0,
    'the replacement of worker 0 serving')
  t.not(workersOf(proxy).pids[0], pid, 'worker 0 is another process')
  t.notMatch(stderr(), /could not start/, 'the replacement started at once')
})

t.test('passive health is shared: one worker\'s failure takes the backend out in every worker', async (t) => {
  const stderr = captureStderr(t)
  const [a, dead] = await startNamedOrigins(t, ['a', 'dead'])
  await dead!.kill()
  const log = join(mkdtempSync(join(tmpdir(), 'uproxy-workers-')), 'access.log')
  const proxy = await startTestProxy(t, {
    backend: [a!.url, dead!.url], workers: 2, maxFails: 1, failTimeout: 60, retries: 1, quiet: false, accessLog: log,
  })
  // new connections, one at a time: the kernel spreads them over both workers
  for (let i = 0; i < 40; i++) {
    const res = await send(`${proxy.url}/s${i}`)
    t.equal(res.status, 200, `request ${i}: got ${res.status}, want 200`)
    await settle(proxy)
  }
  const counts = await workersOf(proxy).countExchanges()
  t.ok(counts.every((n) => n > 0), `both workers served: got ${JSON.stringify(counts)}`)
  await proxy.close()
  const retried = readFileSync(log, 'utf8').split('\n').filter((line) => line.includes(' after '))
  t.equal(retried.length, 1, `got ${retried.length} exchanges that tried the dead backend, want 1: ${retried.join(' | ')}`)
  t.equal(stderr().split('\n').filter((line) => line.includes(`backend ${dead!.url} is down`)).length, 1, 'one line says it is down')
})

t.test('active probes run once, not once per worker, and their verdict holds in every worker', async (t) => {
  const stderr = captureStderr(t)
  const [a, sick] = await startNamedOrigins(t, ['a', 'sick'], { sick: 503 })
  const proxy = await startTestProxy(t, { backend: [a!.url, sick!.url], workers: 3, healthPath: '/healthz', healthInterval: 60 })
  await waitFor(() => stderr().includes(`backend ${sick!.url} is down: probe /healthz answered 503`), 'the probe verdict')
  await settle(proxy)
  for (let i = 0; i < 30; i++) t.equal((await send(`${proxy.url}/p${i}`)).body, 'a', `request ${i} (a new connection) went to the healthy backend`)
  const counts = await workersOf(proxy).countExchanges()
  t.equal(counts.filter((n) => n > 0).length, 3, `every worker served: got ${JSON.stringify(counts)}`)
  t.same(sick!.seen, ['/healthz'], 'the sick backend got one probe, and no request')
  t.same(a!.seen.filter((path) => path === '/healthz'), ['/healthz'], 'the healthy one got one probe')
})

t.test('--workers N or auto, the same in the API and on the command line; anything else is one line', async (t) => {
  t.equal(toConfig({}).workers, 1, 'default 1')
  t.equal(toConfig({ workers: 'auto' }).workers, availableParallelism(), 'auto: the CPUs Node reports')
  t.same(parseCliArgs(['--workers', 'auto', '--workers', '3']).options, { workers: 3 }, 'the last flag wins')
  for (const [api, text] of [[0, '0'], [1.5, '1.5'], ['two', 'two']] as const) {
    t.throws(() => toConfig({ workers: api as number }), { message: `workers: ${JSON.stringify(String(api))} is not a number of processes (1 or more) nor "auto"` })
    t.throws(() => parseCliArgs(['--workers', text]), { message: `--workers: "${text}" is not a number of processes (1 or more) nor "auto"` })
  }
})

t.test('hooks cannot run in worker threads: one-line ConfigError', async (t) => {
  await t.rejects(within(startProxy({ workers: 2, hooks: [{ end() {} }] }), 5000, 'the refusal'), {
    code: 'UPROXY_BAD_CONFIG', message: 'workers: hooks are functions of this process and cannot run in worker processes; use 1 worker',
  })
})

