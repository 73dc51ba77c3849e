// Active health: GET a path on each backend every interval; 2xx/3xx is up, anything else down.
import type { C2Dispatcher } from '../c2/exchange-handler.js'
import type { Backend } from '../config/backend-url.js'
import { describeError } from '../c2/gateway-errors.js'
import type { Member } from './member.js'

export interface ProbeSettings {
  /** the path asked, e.g. '/healthz' */
  readonly path: string
  readonly intervalMs: number
  /** no response headers or body within this long is a failed probe */
  readonly timeoutMs: number
}

/** The probes of a configuration that probes `path`. */
export function probeSettings(config: { readonly health: { readonly intervalMs: number }; readonly timeoutMs: number },
  path: string): ProbeSettings {
  const { intervalMs } = config.health
  // an answer may take the interval, but at least a second: a busy host is not a dead backend
  return { path, intervalMs, timeoutMs: Math.min(Math.max(intervalMs, 1000), config.timeoutMs) }
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
export function startHealthProbes(members: readonly Member[], dispatcherOf: (backend: Backend) => C2Dispatcher,
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

async function probeOnce({ backend, health }: Member, dispatcher: C2Dispatcher, { path, timeoutMs }: ProbeSettings,
  signal: AbortSignal): Promise<void> {
  const what = `probe ${path}`
  try {
    // the backend's base path goes before the probe path, as before any request's
    const statusCode = await probeStatus(dispatcher, backend.basePath + path, timeoutMs, signal)
    if (signal.aborted) return
    health.recordProbe(statusCode >= 200 && statusCode < 400, `${what} answered ${statusCode}`)
  } catch (err) {
    if (signal.aborted) return
    const timedOut = (err as Error).name === 'TimeoutError'
    health.recordProbe(false, `${what} failed: ${timedOut ? `no answer within ${timeoutMs} ms` : describeError(err as Error)}`)
  }
}

/**
 * GETs `path` and resolves with the status once the body has been read whole (so the keep-alive
 * connection serves the next probe); the whole probe, connecting included, within `timeoutMs`.
 */
function probeStatus(dispatcher: C2Dispatcher, path: string, timeoutMs: number, stop: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)])
    let status = 0
    let abort: (() => void) | undefined
    const settle = () => signal.removeEventListener('abort', onAbort)
    const onAbort = () => abort?.()
    signal.addEventListener('abort', onAbort)
    dispatcher.dispatch({ method: 'GET', path, headers: [], body: null }, {
      onRequestStart(controller) {
        abort = () => controller.abort(signal.reason as Error)
        if (signal.aborted) abort()
      },
      onResponseStart(_controller, statusCode) {
        status = statusCode
      },
      onResponseEnd() {
        settle()
        resolve(status)
      },
      onResponseError(_controller, err) {
        settle()
        reject(err)
      },
    })
  })
}
