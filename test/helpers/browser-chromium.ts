// Headless Chromium for the browser test: Debian's /usr/bin/chromium driven by playwright-core.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import type { Test } from 'tap'

/** Debian's chromium package; playwright's own browser download does not work on these machines. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

/**
 * Flags for a closed network: without the background-networking ones Chromium keeps trying
 * Google's hosts at start-up (component updates, sync, QUIC probes) and waits on them when there
 * is no network. --no-sandbox because CI runs as root.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
]

/** Why the browser test cannot run on this machine, or undefined when it can. */
export function whyNoChromium(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined
  return `${CHROMIUM_PATH} is missing: install Debian's chromium ` +
    '(apt-get install --no-install-recommends chromium; .ci/run does)'
}

/** Launches Chromium (a fresh temporary profile each time); the test's teardown closes it. */
export async function launchChromium(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  })
  t.teardown(() => browser.close())
  return browser
}
