// A real headless Chromium browses a loopback site through uproxy: the offline stand-in for info.cern.ch.
/// <reference lib="dom" />
import t from 'tap'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startProxy } from '../src/index.js'
import { launchChromium, whyNoChromium } from './helpers/browser-chromium.js'
import { startSiteOrigin } from './helpers/browser-origin.js'

const ARTIFACTS = fileURLToPath(new URL('.artifacts', import.meta.url))
const SITE_PATHS = ['/', '/style.css', '/globe.png', '/summary.html']

const noChromium = whyNoChromium()
if (noChromium && process.env.CI === 'true') {
  // CI must prove the browser path, so a missing browser is a red run, not a skip.
  t.fail(`CI=true but ${noChromium}`)
} else {
  t.test('Chromium browses a page, its stylesheet, image and link through uproxy',
    { skip: noChromium ?? false }, async (t) => {
      const origin = await startSiteOrigin(t)
      const proxy = await startProxy({
        listen: { host: '127.0.0.1', port: 0 },
        backend: origin.url,
        quiet: true,
      })
      t.teardown(() => proxy.close())

      const browser = await launchChromium(t)
      const page = await browser.newPage({ viewport: { width: 800, height: 500 } })
      page.setDefaultTimeout(15_000)
      // The site has no favicon: Chromium's request for it may 404 or be cancelled.
      const broken: string[] = []
      const isFavicon = (url: string) => new URL(url).pathname === '/favicon.ico'
      page.on('requestfailed', (r) => {
        if (!isFavicon(r.url())) broken.push(`${r.url()}: ${r.failure()?.errorText}`)
      })
      page.on('response', (r) => {
        if (r.status() >= 400 && !isFavicon(r.url())) broken.push(`${r.url()}: ${r.status()}`)
      })
      mkdirSync(ARTIFACTS, { recursive: true })

      const first = await page.goto(`${proxy.url}/`, { waitUntil: 'load' })
      t.equal(first?.status(), 200, 'first page: got its status, want 200')
      t.equal(await page.title(), 'The World Wide Web project (uproxy fixture)', 'first page title')
      t.equal(await page.$eval('h1', (h) => getComputedStyle(h).color), 'rgb(30, 90, 168)',
        'style.css applied: h1 colour from the stylesheet, want rgb(30, 90, 168)')
      const globe = await page.$eval('#globe', (i) => {
        const img = i as HTMLImageElement
        return { complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight }
      })
      t.same(globe, { complete: true, naturalWidth: 96, naturalHeight: 64 },
        'globe.png loaded and decoded: want 96x64')
      await page.screenshot({ path: `${ARTIFACTS}browser-index.png`, fullPage: true })

      await Promise.all([page.waitForURL(`${proxy.url}/summary.html`), page.click('#next')])
      await page.waitForLoadState('load')
      t.equal(page.url(), `${proxy.url}/summary.html`, 'the link led to the second page, still on the proxy')
      t.equal(await page.textContent('#title'), 'Summary', 'second page heading')
      t.match(await page.textContent('#summary'), /merges the techniques of information retrieval and hypertext/,
        'second page content')
      t.equal(await page.$eval('body', (b) => getComputedStyle(b).fontFamily), 'Georgia, serif',
        'style.css applied on the second page: body font-family, want Georgia, serif')
      await page.screenshot({ path: `${ARTIFACTS}browser-summary.png`, fullPage: true })

      t.same(broken, [], 'no request failed or answered >= 400')
      const paths = new Set(origin.seen.map((r) => r.path))
      for (const path of SITE_PATHS) t.ok(paths.has(path), `origin received ${path} through the proxy`)
      t.same(origin.seen.filter((r) => r.headers.host !== origin.host).map((r) => `${r.path} Host: ${r.headers.host}`),
        [], `every request reached the origin with Host ${origin.host}`)
    })
}
