// Active health: GET a path on each backend every interval; 2xx/3xx is up, anything else down.
import type { Dispatcher } from 'undici'
import type { Backend } from '../config/backend-url.js'
import { describeError } from '../c2/gateway-errors.js'
import type { Member } from './member.js'

/** What to ask each backend, how often, and how long to wait for it. */
export interface ProbeSettings {
  /** the path asked, e.g. '/healthz' */
  readonly path: string
  readonly intervalMs: number
  /** no response headers or body within this long is a failed probe */
  readonly timeoutMs: number
}

/** Running probes; close() stops them and aborts the ones under way. */
export interface HealthProbes {
  close(): void
}

/**
 * Probes every member at once and then every `intervalMs`, one probe at a time per member,
 * over the keep-alive pool `dispatcherOf` gives for its backend; the result goes to its health.
 * The timers are unref'd: probes alone never keep the process alive.
 */
export function startHealthProbes(members: readonly Member[], dispatcherOf: (backend: Backend) => Dispatcher,
  settings: ProbeSettings): HealthProbes {
  const stop = new AbortController()
  const timers = members.map((member) => {
    let running = false
    const probe = () => {
      if (running || stop.signal.aborted) return
      running = true
      void probeOnce(member, dispatcherOf(member.backend), settings, stop.signal).finally(() => (running = false))
    }
    probe()
    return setInterval(probe, settings.intervalMs).unref()
  })
  return {
    close() {
      for (const timer of timers) clearInterval(timer)
      stop.abort()
    },
  }
}

async function probeOnce({ backend, health }: Member, dispatcher: Dispatcher, { path, timeoutMs }: ProbeSettings,
  signal: AbortSignal): Promise<void> {
  const what = `probe ${path}`
  try {
    const { statusCode, body } = await dispatcher.request({
      // the whole probe, connecting included, within timeoutMs (headersTimeout starts after connect)
      // the backend's base path goes before the probe path, as before any request's
      method: 'GET', path: backend.basePath + path, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
    })
    // read the body whole, so the keep-alive connection serves the next probe
    await body.dump()
    if (signal.aborted) return
    health.recordProbe(statusCode >= 200 && statusCode < 400, `${what} answered ${statusCode}`)
  } catch (err) {
    if (signal.aborted) return
    const timedOut = (err as Error).name === 'TimeoutError'
    health.recordProbe(false, `${what} failed: ${timedOut ? `no answer within ${timeoutMs} ms` : describeError(err as Error)}`)
  }
}
