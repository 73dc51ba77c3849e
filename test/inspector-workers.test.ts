// The inspector with --workers 2 over real sockets: one listener in the main process, every worker's exchanges and events, dead or stopped workers.
import type { ChildProcess } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { startProxy, type Proxy } from '../src/index.js'
import type { ExchangeRecord } from '../src/inspector/exchange-record.js'
import type { FromWorker } from '../src/workers/messages.js'
import { send } from './helpers/http-client.js'
import { followEvents, openEvents, readRecords } from './helpers/inspector.js'
import { startNamedOrigins } from './helpers/named-origins.js'
import { startTestProxy } from './helpers/proxy.js'
import { waitFor, within } from './helpers/wait.js'
import { load, workersOf } from './helpers/workers.js'

/** A proxy of 2 workers with the inspector on 127.0.0.1:0, in front of one origin. */
async function startInspectedWorkers(t: Test, inspectBuffer = 1000): Promise<{ proxy: Proxy; inspector: string }> {
  const [a] = await startNamedOrigins(t, ['a'])
  const proxy = await startTestProxy(t, { backend: a!.url, workers: 2, inspect: '127.0.0.1:0', inspectBuffer })
  return { proxy, inspector: proxy.inspectorUrl as string }
}

/** Counts the `events` messages the workers send to the main process from now on (WorkerSet keeps its processes private). */
function countEventMessages(proxy: Proxy): () => number {
  let count = 0
  const { slots } = proxy as unknown as { slots: { worker: ChildProcess }[] }
  for (const { worker } of slots) worker.on('message', (message: FromWorker) => void (message.type === 'events' && count++))
  return () => count
}

/** Until every worker has handled what was posted to it, and what it posted meanwhile has arrived: two rounds of questions. */
async function settle(proxy: Proxy): Promise<void> {
  await workersOf(proxy).countExchanges()
  await workersOf(proxy).countExchanges()
}

const paths = (records: ExchangeRecord[]) => records.map((record) => record.path)
// a record's `v` may still grow after it ended (C2's end comes after C1's): compare records by id
const ids = (records: ExchangeRecord[]) => records.map((record) => record.id)

t.test('with 2 workers, /exchanges and /har list every request once, ids unique, each marked with its worker', async (t) => {
  const { proxy, inspector } = await startInspectedWorkers(t)
  t.match(inspector, /^http:\/\/127\.0\.0\.1:\d+$/, 'one inspector listener, on the main process, with its real port')
  t.same(await load(t, proxy.url, 200, 20), [], 'every answer was 200')
  const counts = await workersOf(proxy).countExchanges()
  t.ok(counts.every((n) => n > 0), `both workers served: got ${JSON.stringify(counts)}`)

  const records = await readRecords(inspector)
  t.equal(records.length, 200, `got ${records.length} records, want 200`)
  t.same(paths(records).sort(), Array.from({ length: 200 }, (_, i) => `/n${i}`).sort(), 'every request exactly once')
  t.equal(new Set(records.map((r) => r.id)).size, 200, 'every id unique across the workers')
  t.ok(records.every((r) => r.outcome === 'complete' && r.status === 200), 'every record complete, 200')
  t.same([0, 1].map((w) => records.filter((r) => r.worker === w).length), counts, 'each worker\'s records, as many as it served')
  t.ok(records.every((r, i) => i === 0 || r.started >= records[i - 1]!.started), 'merged oldest first, by start')

  const har = JSON.parse((await send(`${inspector}/har`)).body) as { log: { entries: { _id: number; _worker: number }[] } }
  t.equal(har.log.entries.length, 200, `/har: got ${har.log.entries.length} entries, want 200`)
  t.equal(new Set(har.log.entries.map((e) => e._id)).size, 200, '/har: ids unique')
  t.same(new Set(har.log.entries.map((e) => e._worker)), new Set([0, 1]), '/har: each entry names its worker')

  await proxy.close()
  await t.rejects(send(`${inspector}/exchanges`), { code: 'ECONNREFUSED' }, 'closing the proxy closes the inspector listener')
})

t.test('with 2 workers, /exchanges keeps the newest --inspect-buffer of all the workers\' records', async (t) => {
  const { proxy, inspector } = await startInspectedWorkers(t, 10)
  // one at a time on new connections: start order is request order, and both workers serve
  for (let i = 0; i < 30; i++) t.equal((await send(`${proxy.url}/s${i}`)).status, 200, `request ${i}`)
  const records = await readRecords(inspector)
  t.same(paths(records), Array.from({ length: 10 }, (_, i) => `/s${20 + i}`), 'the last 10 requests, oldest first')
})

t.test('with 2 workers, /events streams every worker\'s events while someone watches; nobody watching, the workers send none', async (t) => {
  const { proxy, inspector } = await startInspectedWorkers(t)
  const eventMessages = countEventMessages(proxy)
  /** True when a request sent now brings the main process no event message. */
  const quiet = async () => {
    const sent = eventMessages()
    await send(`${proxy.url}/quiet`)
    await settle(proxy)
    return eventMessages() === sent
  }
  t.same(await load(t, proxy.url, 20, 4), [], 'unwatched: every answer 200')
  await settle(proxy)
  t.equal(eventMessages(), 0, 'unwatched: the workers sent no events to the main process')

  const first = await openEvents(t, inspector)
  const second = await openEvents(t, inspector)
  await settle(proxy)
  t.same(await load(t, proxy.url, 200, 20), [], 'watched: every answer 200')
  await waitFor(() => [first, second].every(({ events }) => events.filter((e) => e.type === 'ended').length >= 200),
    'both listeners to have an ended event for each of the 200 requests')
  const ended = first.events.filter((e) => e.type === 'ended')
  t.same(ended.map((e) => e.path).sort(), Array.from({ length: 200 }, (_, i) => `/n${i}`).sort(), 'one ended event per request')
  t.equal(new Set(ended.map((e) => e.id)).size, 200, 'each with its own id')
  t.same(new Set(ended.map((e) => e.exchange.worker)), new Set([0, 1]), 'from both workers')
  t.ok(first.events.every((e) => e.exchange.id === e.id), 'each event names its exchange')
  t.ok(eventMessages() < first.events.length, `${eventMessages()} messages carried ${first.events.length} events: batched per turn`)

  first.stop()
  await waitFor(async () => {
    await send(`${proxy.url}/still`)
    return second.events.filter((e) => e.type === 'ended' && e.path === '/still').length > 0
  }, 'the second listener to go on seeing events once the first left')
  second.stop()
  await waitFor(quiet, 'the workers to stop sending events once the last listener left')
  t.ok(await quiet(), 'and they stay stopped')
})

t.test('with 2 workers, a stopped worker or a dead one does not hang /exchanges; a replacement\'s events flow, with new ids', async (t) => {
  const { proxy, inspector } = await startInspectedWorkers(t)
  const events = await followEvents(t, inspector)
  t.same(await load(t, proxy.url, 40, 10), [], 'every answer 200')
  const before = await readRecords(inspector)
  t.same(new Set(before.map((r) => r.worker)), new Set([0, 1]), 'both workers served')

  const [first, second] = workersOf(proxy).pids as [number, number]
  process.kill(second, 'SIGSTOP')
  t.teardown(() => void process.kill(second, 'SIGCONT'))
  const started = performance.now()
  const whileStopped = await within(readRecords(inspector), 5000, '/exchanges while worker 1 is stopped')
  t.ok(performance.now() - started < 3000, 'answered within the wait for a worker, not held by the stopped one')
  t.same(ids(whileStopped), ids(before.filter((r) => r.worker === 0)), 'the records of worker 0, worker 1\'s left out')
  process.kill(second, 'SIGCONT')
  t.equal((await readRecords(inspector)).length, 40, 'worker 1 resumed: every record again')

  const deadIds = new Set(before.filter((r) => r.worker === 0).map((r) => r.id))
  process.kill(first, 'SIGKILL')
  const afterDeath = await within(readRecords(inspector), 5000, '/exchanges after worker 0 was killed')
  t.same(ids(afterDeath), ids(before.filter((r) => r.worker === 1)), 'the records of worker 1; worker 0\'s went with it')

  await waitFor(async () => (await send(`${proxy.url}/again`)).status === 200 && ((await workersOf(proxy).countExchanges())[0] ?? 0) > 0,
    'the replacement of worker 0 serving')
  t.not(workersOf(proxy).pids[0], first, 'worker 0 is another process')
  const fromReplacement = () => events.filter((e) => e.type === 'ended' && e.path === '/again' && e.exchange.worker === 0)
  await waitFor(() => fromReplacement().length > 0, 'an ended event from the replacement of worker 0: a worker started while watched is subscribed')
  const replaced = fromReplacement()
  t.ok(replaced.every((e) => !deadIds.has(e.id)), 'the replacement\'s ids are not its predecessor\'s')
  const mine = (await readRecords(inspector)).filter((r) => r.worker === 0)
  t.ok(mine.length > 0 && mine.every((r) => r.path === '/again' && !deadIds.has(r.id)), 'its records are listed, with new ids')
})

t.test('an inspector address in use is a ListenError, by 1 worker or 2; the workers started are stopped', async (t) => {
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => holder.close())
  const taken = (holder.address() as AddressInfo).port
  for (const workers of [1, 2]) {
    const free = await freePort()
    await t.rejects(startProxy({ listen: `127.0.0.1:${free}`, quiet: true, workers, inspect: `127.0.0.1:${taken}` }), {
      code: 'UPROXY_LISTEN', message: `cannot listen on 127.0.0.1:${taken} for the inspector: EADDRINUSE`,
    }, `workers ${workers}: refused`)
    t.equal(await freePort(free), free, `workers ${workers}: the proxy's port is free again`)
  }
})

/** Binds `port` (0: any) exclusively and lets it go; resolves with the port. */
async function freePort(port = 0): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return bound
}
