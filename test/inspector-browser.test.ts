// Headless Chromium opens the inspector's page while exchanges of every kind go through uproxy: rows, timelines, filters, pause.
/// <reference lib="dom" />
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { launchChromium, whyNoChromium } from './helpers/browser-chromium.js'
import { send, open } from './helpers/http-client.js'
import { KINDS, readRecords, sendEveryKind, startInspectedSite, waitForRecord } from './helpers/inspector.js'
import { startNamedOrigins } from './helpers/named-origins.js'
import { startTestProxy } from './helpers/proxy.js'
import { within } from './helpers/wait.js'
import { workersOf } from './helpers/workers.js'

const ARTIFACTS = fileURLToPath(new URL('.artifacts/', import.meta.url))

/** A row as the page shows it. */
interface Row { path: string; status: string; ended: string; backend: string; route: string; hidden: boolean }

function readRows(page: Page): Promise<Row[]> {
  return page.$$eval('#exchanges tbody tr', (trs) => trs.map((tr) => {
    const cell = (name: string) => tr.querySelector(`td.${name}`)?.textContent ?? ''
    return { path: cell('path'), status: cell('status'), ended: cell('ended'), backend: cell('backend'), route: cell('route'), hidden: (tr as HTMLElement).hidden }
  }))
}

/** Waits (15 s at most) until the row of `path` shows an `ended` text matching `ended`. */
async function waitForRow(page: Page, path: string, ended: RegExp): Promise<void> {
  await page.waitForFunction(([p, source]) => [...document.querySelectorAll('#exchanges tbody tr')].some((tr) =>
    tr.querySelector('td.path')?.textContent === p && new RegExp(source as string).test(tr.querySelector('td.ended')?.textContent ?? '')),
  [path, ended.source] as const, { timeout: 15_000 })
}

/** The timeline's two sides after clicking the row of `path`: each event's name and detail. */
async function openTimeline(page: Page, path: string): Promise<{ c1: string[]; c2: string[]; summary: string }> {
  await page.locator('#exchanges tbody tr', { has: page.locator('td.path', { hasText: path }) }).first().click()
  await page.waitForSelector('#timeline:not([hidden])')
  return page.evaluate(() => ({
    c1: [...document.querySelectorAll('#side-c1 li')].map((li) => li.querySelector('span')?.textContent ?? ''),
    c2: [...document.querySelectorAll('#side-c2 li')].map((li) => li.querySelector('span')?.textContent ?? ''),
    summary: document.querySelector('#timeline-summary')?.textContent ?? '',
  }))
}

const noChromium = whyNoChromium()
if (noChromium && process.env.CI === 'true') {
  t.fail(`CI=true but ${noChromium}`)
} else {
  t.test('the inspector page shows every exchange live, its timeline, filters and pause', { skip: noChromium ?? false }, async (t) => {
    const site = await startInspectedSite(t)
    // one exchange before the page opens: it must be shown at once, from the buffer
    await send(`${site.proxy.url}/before`)
    const browser = await launchChromium(t)
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    page.setDefaultTimeout(15_000)
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${site.inspector}/`, { waitUntil: 'load' })
    await waitForRow(page, '/before', /^complete$/)
    await page.waitForFunction(() => document.querySelector('#connection')?.textContent === 'live')

    // a row appears while its exchange is running, and changes when it ends
    const hanging = await open(`${site.proxy.url}/hang?live`)
    await within(hanging.firstChunk, 5000, 'the first chunk of /hang?live')
    await waitForRow(page, '/hang?live', /^running/)
    hanging.destroy()
    await waitForRow(page, '/hang?live', /^client gone$/)

    await sendEveryKind(site)
    const want: [string, RegExp, string][] = [
      [KINDS.fast, /^complete$/, '200 OK'],
      [KINDS.streaming, /^complete$/, '200 OK'],
      [KINDS.aborted, /^client gone$/, '200 OK'],
      [KINDS.down, /^backend error$/, '502 Bad Gateway'],
      [KINDS.timeout, /^timeout$/, '504 Gateway Timeout'],
      [KINDS.refused, /^refused$/, '400 Bad Request'],
    ]
    for (const [path, ended] of want) await waitForRow(page, path, ended)
    await page.waitForFunction(() => [...document.querySelectorAll('#exchanges td.ended')].some((td) => td.textContent?.endsWith('retried on another backend')))
    const rows = await readRows(page)
    for (const [path, ended, status] of want) {
      const row = rows.find((r) => r.path === path)
      t.match(row, { ended, status }, `${path}: got ${JSON.stringify(row)}, want ${ended} and ${status}`)
    }
    t.match(rows.find((r) => r.path === KINDS.down), { route: '/down', backend: site.down }, 'the down row names its route and backend')
    const retried = rows.find((r) => r.ended.endsWith('retried on another backend'))
    t.match(retried, { path: /^\/retry\//, status: '200 OK', backend: site.origin.url }, 'the retried row: answered by the origin after another backend failed')

    const fast = await openTimeline(page, KINDS.fast)
    t.match(fast.c1, [/^request head/, /^routed/, /^response head/, /^end/], `fast: C1 timeline, got ${JSON.stringify(fast.c1)}`)
    t.match(fast.c2, [/^attempt/, /^(new connection|connection reused)/, /^request head sent/, /^first byte/, /^response head/, /^response body/, /^end/],
      `fast: C2 timeline side by side, got ${JSON.stringify(fast.c2)}`)
    const streaming = await openTimeline(page, KINDS.streaming)
    t.ok(streaming.c2.some((line) => /^response body\d+ chunks, /.test(line)), `streaming: chunks summed, got ${JSON.stringify(streaming.c2)}`)
    const aborted = await openTimeline(page, KINDS.aborted)
    t.ok(aborted.c1.some((line) => line.startsWith('client closed first')), `aborted: C1 says the client closed first, got ${JSON.stringify(aborted.c1)}`)
    t.ok(aborted.c2.some((line) => line.startsWith('aborted: the client left')), `aborted: C2 was aborted, got ${JSON.stringify(aborted.c2)}`)
    t.match(aborted.summary, /the client \(C1\) closed first/, 'aborted: the summary says which side closed first')
    const down = await openTimeline(page, KINDS.down)
    t.ok(down.c2.some((line) => line.startsWith('failedECONNREFUSED')), `down: C2 failed, refused, got ${JSON.stringify(down.c2)}`)
    mkdirSync(ARTIFACTS, { recursive: true })
    await openTimeline(page, KINDS.fast)
    await page.screenshot({ path: `${ARTIFACTS}inspector.png` })

    const visible = async () => (await readRows(page)).filter((r) => !r.hidden).map((r) => r.path).sort()
    await page.selectOption('#filter-status', '5')
    t.same(await visible(), [KINDS.down, KINDS.timeout].sort(), 'status 5xx: the two gateway errors')
    await page.selectOption('#filter-status', '')
    await page.selectOption('#filter-route', '/down')
    t.same(await visible(), [KINDS.down], 'route /down: its one exchange')
    await page.selectOption('#filter-route', '')
    await page.selectOption('#filter-backend', site.down)
    t.same(await visible(), [KINDS.down], 'backend down: its one exchange')
    await page.selectOption('#filter-backend', '')
    await page.fill('#filter-text', 'slow-head')
    t.same(await visible(), [KINDS.timeout], 'text slow-head: its one exchange')
    await page.fill('#filter-text', '')

    await page.click('#pause')
    await send(`${site.proxy.url}/while-paused`)
    await waitForRecord(site.inspector, (r) => r.path === '/while-paused' && r.outcome === 'complete', '/while-paused to end')
    // the event reached the page (it is live) but waits: two frames later there is still no row
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
    t.notOk((await readRows(page)).some((r) => r.path === '/while-paused'), 'paused: no new row')
    await page.click('#pause')
    await waitForRow(page, '/while-paused', /^complete$/)
    t.pass('resumed: the held exchange appears')
    t.same(errors, [], 'no script error on the page')
  })

  t.test('with 2 workers, the page shows every worker\'s exchanges, one row each, and which worker served one', { skip: noChromium ?? false }, async (t) => {
    const [a] = await startNamedOrigins(t, ['a'])
    const proxy = await startTestProxy(t, { backend: a!.url, workers: 2, inspect: '127.0.0.1:0' })
    const inspector = proxy.inspectorUrl as string
    // new connections, one at a time: the kernel spreads them over both workers
    // two digits: no path is a part of another (openTimeline finds a row by its text)
    const numbered = (name: string) => Array.from({ length: 20 }, (_, i) => `/${name}/${String(i).padStart(2, '0')}`)
    for (const path of numbered('before')) await send(`${proxy.url}${path}`)
    const browser = await launchChromium(t)
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${inspector}/`, { waitUntil: 'load' })
    await page.waitForFunction(() => document.querySelector('#connection')?.textContent === 'live')
    // a question answered by each worker: each has read the subscription sent before it
    await workersOf(proxy).countExchanges()
    for (const path of numbered('after')) await send(`${proxy.url}${path}`)
    await page.waitForFunction(() => [...document.querySelectorAll('#exchanges td.ended')].filter((td) => td.textContent === 'complete').length === 40)
    const rows = await readRows(page)
    t.same(rows.map((r) => r.path).sort(), [...numbered('before'), ...numbered('after')].sort(), 'a row for each exchange, from /exchanges and /events alike')
    const ids = await page.$$eval('#exchanges tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id))
    t.equal(new Set(ids).size, 40, 'each row its own id')
    const records = await readRecords(inspector)
    for (const worker of [0, 1]) {
      const record = records.find((r) => r.worker === worker)
      t.ok(record, `worker ${worker} served one`)
      const { summary } = await openTimeline(page, record!.path)
      t.match(summary, `served by worker ${worker}`, `${record!.path}: the summary says worker ${worker} served it`)
    }
    t.same(errors, [], 'no script error on the page')
  })
}
