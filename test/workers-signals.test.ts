// The uproxy command with --workers over real sockets: one ready line, SIGHUP reaches every worker, SIGTERM drains every worker.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { send } from './helpers/http-client.js'
import { startNamedOrigins } from './helpers/named-origins.js'
import { startCliProxy } from './helpers/proxy.js'
import { waitFor, within } from './helpers/wait.js'

t.test('SIGHUP reloads every worker under load with zero failed requests; one ready line', async (t) => {
  const [a, b] = await startNamedOrigins(t, ['a', 'b'])
  const file = join(mkdtempSync(join(tmpdir(), 'uproxy-workers-')), 'uproxy.json')
  writeFileSync(file, JSON.stringify({ backend: a!.url, workers: 2 }))
  const run = await startCliProxy(t, ['--config', file, '--quiet'])
  t.equal(run.stdout().match(/uproxy listening on/g)?.length, 1, `got stdout ${JSON.stringify(run.stdout())}, want one ready line`)
  const served = new Map<string, number>()
  const failures: string[] = []
  let loading = true
  // a new connection per request: the kernel spreads them over both workers
  const loop = async () => {
    while (loading) {
      try {
        const { status, body } = await send(`${run.url}/`)
        if (status !== 200) failures.push(`status ${status}`)
        else served.set(body, (served.get(body) ?? 0) + 1)
      } catch (err) {
        failures.push((err as Error).message)
      }
    }
  }
  const clients = Array.from({ length: 4 }, loop)
  await waitFor(() => (served.get('a') ?? 0) > 40, 'load on a')
  writeFileSync(file, JSON.stringify({ backend: b!.url, workers: 2 }))
  run.child.kill('SIGHUP')
  await waitFor(() => run.stderr().includes(`uproxy: reloaded ${file}`), 'the reload line')
  await waitFor(() => (served.get('b') ?? 0) > 40, 'load on b')
  loading = false
  await Promise.all(clients)
  t.same(failures, [], 'not one request failed across the reload')
  const after = await Promise.all(Array.from({ length: 20 }, () => send(`${run.url}/after`)))
  t.same(after.map((answer) => answer.body), Array(20).fill('b'), 'every new connection, whichever worker took it, goes to b')
  t.equal(run.stderr(), `uproxy: reloaded ${file}\n`, 'one stderr line for the reload, not one per worker')
})

t.test('SIGTERM drains the exchanges of every worker within --grace, then exits 0', async (t) => {
  const [a] = await startNamedOrigins(t, ['a'])
  const run = await startCliProxy(t, [a!.url, '--workers', '2', '--grace', '5', '--quiet'])
  // twelve connections: the chance that one worker got none is 2 in 4096
  const answers = Array.from({ length: 12 }, (_, i) => send(`${run.url}/hold${i}`))
  await waitFor(() => a!.held.length === 12, 'twelve held requests at the origin')
  run.child.kill('SIGTERM')
  await waitFor(() => run.stderr().includes('uproxy: shutting down'), 'the shutdown line')
  await waitFor(async () => !(await send(`${run.url}/late`).then(() => true, () => false)), 'new connections refused')
  a!.release()
  const done = await within(Promise.all(answers), 5000, 'the held answers')
  t.same(done.map((answer) => `${answer.status} ${answer.body}`), Array(12).fill('200 a'), 'every exchange under way was answered')
  t.equal(await within(run.exited, 5000, 'the exit'), 0, 'exits 0')
})
