// Step 14's README: the inspector watches a fast exchange, a slow one, a client that leaves and a backend that dies.
import t from 'tap'
import http from 'node:http'
import { send, open } from './helpers/http-client.ts'
import { followEvents, readRecords, waitForRecord } from './helpers/inspector.ts'
import { startStep } from './helpers/tutorial-step.ts'
import { waitFor, within } from './helpers/wait.ts'

t.test('step 14: the inspector shows each exchange of the README as it ends', async (t) => {
  const step = await startStep(t, '14-inspector', ['--listen', '127.0.0.1:0', '--inspect', '127.0.0.1:0', '--origin', '127.0.0.1:0'])
  t.match(step.readyLine, /^uproxy listening on http:\/\/127\.0\.0\.1:\d+$/, 'the ready line')
  const inspectorLine = await step.waitForLine(/^uproxy inspector on /, 5000)
  const inspector = /^uproxy inspector on (http:\/\/127\.0\.0\.1:\d+)$/.exec(inspectorLine)?.[1] as string
  t.ok(inspector, `got ${JSON.stringify(inspectorLine)}, want the inspector's URL`)
  t.match(step.stdout[0], /^backend on http:\/\/127\.0\.0\.1:\d+$/, 'the backend line first')
  const page = await send(`${inspector}/`)
  t.equal(page.status, 200, 'the page is served')
  const events = await followEvents(t, inspector)

  const fast = await send(`${step.url}/fast`)
  t.equal(fast.body, 'fast answer to /fast\n', 'fast: answered at once')
  t.match(await waitForRecord(inspector, (r) => r.path === '/fast' && r.outcome !== 'running', '/fast to end'), { outcome: 'complete', status: 200 })

  const slow = await open(`${step.url}/slow`)
  await within(slow.firstChunk, 5000, 'the first line of /slow')
  const running = await waitForRecord(inspector, (r) => r.path === '/slow', 'the /slow row')
  t.equal(running.outcome, 'running', 'slow: its row is there while it runs')
  t.equal(await within(slow.body, 10_000, 'the rest of /slow'), ['/slow line 1', '/slow line 2', '/slow line 3', '/slow line 4', '/slow line 5', ''].join('\n'),
    'slow: five lines in all')
  const slowDone = await waitForRecord(inspector, (r) => r.path === '/slow' && r.outcome !== 'running', '/slow to end')
  t.equal(slowDone.outcome, 'complete', 'slow: complete')
  t.ok(slowDone.c2Chunks >= 5, `slow: got ${slowDone.c2Chunks} chunks on C2, want each line as it came`)

  // curl -m 1: the client leaves mid-body
  const leaving = await open(`${step.url}/slow`)
  await within(leaving.firstChunk, 5000, 'the first line of the second /slow')
  leaving.destroy()
  const gone = await waitForRecord(inspector, (r) => r.path === '/slow' && r.outcome === 'client-gone', 'the client-gone /slow')
  t.ok(gone.c1.some((e) => e.what === 'client closed first'), 'client gone: C1 closed first')
  await waitFor(async () => (await readRecords(inspector)).some((r) => r.id === gone.id && r.c2.some((e) => e.what === 'aborted: the client left')),
    'C2 aborted because the client left')

  // /die: the backend closes mid-body; the client sees a broken response
  const broken = await new Promise<string>((resolve) => {
    http.get(`${step.url}/die`, { agent: false }, (res) => {
      res.on('data', () => {})
      res.on('end', () => resolve('complete'))
      res.on('error', (err) => resolve(`broken: ${err.message}`))
      res.on('aborted', () => resolve('broken: aborted'))
    }).on('error', (err) => resolve(`broken: ${err.message}`))
  })
  t.match(broken, /^broken/, `die: the client sees a broken response, got ${broken}`)
  const died = await waitForRecord(inspector, (r) => r.path === '/die' && r.outcome !== 'running', '/die to end')
  t.match(died, { outcome: 'backend-error', closedFirst: 'backend' }, 'die: backend error, the backend closed first')
  t.ok(died.c2.some((e) => e.what === 'failed' && e.detail === 'UPROXY_C2_CLOSED'), `die: C2 failed with UPROXY_C2_CLOSED, got ${JSON.stringify(died.c2)}`)

  t.ok(events.some((e) => e.type === 'started' && e.path === '/slow'), '/events: data lines naming the exchange')
  const har = JSON.parse((await send(`${inspector}/har`)).body) as { log: { version: string; entries: unknown[] } }
  t.equal(har.log.version, '1.2', '/har is HAR 1.2')
  t.equal(har.log.entries.length, 4, `got ${har.log.entries.length} HAR entries, want the four exchanges`)
})
