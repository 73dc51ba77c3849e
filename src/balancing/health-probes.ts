// Active health: GET a path on each backend every interval; 2xx/3xx is up, anything else down.
import type { Dispatcher } from 'undici'
import type { BackendHealth } from './backend-health.js'
import { describeError } from '../c2/gateway-errors.js'

/** One backend to probe: its health record and the keep-alive pool that reaches it. */
export interface ProbeTarget {
  readonly health: BackendHealth
  readonly dispatcher: Dispatcher
  /** the backend's base path, put before the probe path as for any request */
  readonly basePath: string
}

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
 * Probes every target at once and then every `intervalMs`, one probe at a time per target.
 * The timers are unref'd: probes alone never keep the process alive.
 */
export function startHealthProbes(targets: readonly ProbeTarget[], settings: ProbeSettings): HealthProbes {
  const stop = new AbortController()
  const timers = targets.map((target) => {
    let running = false
    const probe = () => {
      if (running || stop.signal.aborted) return
      running = true
      void probeOnce(target, settings, stop.signal).finally(() => (running = false))
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

async function probeOnce({ health, dispatcher, basePath }: ProbeTarget, { path, timeoutMs }: ProbeSettings,
  signal: AbortSignal): Promise<void> {
  const what = `probe ${path}`
  try {
    const { statusCode, body } = await dispatcher.request({
      // the whole probe, connecting included, within timeoutMs (headersTimeout starts after connect)
      method: 'GET', path: basePath + path, signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
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
