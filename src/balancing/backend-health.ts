// Whether a backend may take exchanges: passive (failed exchanges) and active (probes) health.

/** nginx's max_fails and fail_timeout, with the window and the time out apart. */
export interface HealthSettings {
  /** failures within `failWindowMs` that take a backend out (default 1) */
  readonly maxFails: number
  readonly failWindowMs: number
  /** how long a backend stays out after `maxFails` failures (default 10 s) */
  readonly failTimeoutMs: number
}

/**
 * The health of one backend. Passive: `maxFails` failures within the window take it out
 * for `failTimeoutMs`; back in, it is on trial, and one more failure before a success takes
 * it out again (as nginx does after fail_timeout). Active: a failed probe takes it out until
 * a probe passes, and a passing probe also ends a passive time out. Each change of state is
 * one log line.
 */
export class BackendHealth {
  /** when it last failed (ms, `now`'s clock): when every backend is down, the least recent is tried */
  lastFailedAt = -Infinity
  /** times of the recent failures, oldest first, at most maxFails of them */
  private readonly fails: number[] = []
  /** out until this time (passive); 0 when never taken out or cleared */
  private downUntil = 0
  private onTrial = false
  private probeDown = false

  constructor(
    /** the backend's URL, as logged */
    readonly name: string,
    private readonly settings: HealthSettings,
    private readonly log: (line: string) => void,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** May take exchanges now. */
  isUp(): boolean {
    if (this.probeDown) return false
    if (this.downUntil === 0) return true
    if (this.now() < this.downUntil) return false
    this.downUntil = 0
    this.onTrial = true
    this.log(`backend ${this.name} is back in rotation after ${seconds(this.settings.failTimeoutMs)} out`)
    return true
  }

  /** An exchange could not get a response from it: refused, reset, timed out. */
  recordFailure(reason: string): void {
    const now = this.now()
    this.lastFailedAt = now
    const { maxFails, failWindowMs, failTimeoutMs } = this.settings
    const fails = this.fails
    fails.push(now)
    while (fails.length > maxFails || (fails.length > 0 && (fails[0] as number) <= now - failWindowMs)) fails.shift()
    if (this.downUntil > now || (!this.onTrial && fails.length < maxFails)) return
    this.downUntil = now + failTimeoutMs
    this.onTrial = false
    fails.length = 0
    this.log(`backend ${this.name} is down for ${seconds(failTimeoutMs)}: ${reason}`)
  }

  /** An exchange got a response from it: its trial, if any, is over. */
  recordSuccess(): void {
    if (this.onTrial) this.onTrial = false
  }

  /** A probe passed (2xx or 3xx) or failed; `detail` says what it got. */
  recordProbe(ok: boolean, detail: string): void {
    if (ok) {
      const wasDown = this.probeDown || this.downUntil > this.now()
      this.probeDown = false
      this.downUntil = 0
      this.onTrial = false
      this.fails.length = 0
      if (wasDown) this.log(`backend ${this.name} is up: ${detail}`)
    } else {
      this.lastFailedAt = this.now()
      if (this.probeDown) return
      this.probeDown = true
      this.log(`backend ${this.name} is down: ${detail}`)
    }
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}
