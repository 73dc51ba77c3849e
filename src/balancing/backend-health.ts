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
 * A change of a backend's health made in one thread, for the same backend's health in the
 * others (workers > 1): taken out passively for `ms`, or a probe's verdict.
 */
export type HealthChange = { readonly kind: 'out'; readonly ms: number } | { readonly kind: 'probe'; readonly ok: boolean }

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
  /** taken out by another thread's change: that thread logs the return, not this one */
  private outElsewhere = false

  constructor(
    /** the backend's URL, as logged */
    readonly name: string,
    private readonly settings: HealthSettings,
    private readonly log: (line: string) => void,
    private readonly now: () => number = performance.now.bind(performance),
    /** told of each change this health makes itself (taken out, a probe's verdict turned), for other threads */
    private readonly share?: (change: HealthChange) => void,
  ) {}

  /** May take exchanges now. */
  isUp(): boolean {
    if (this.probeDown) return false
    if (this.downUntil === 0) return true
    if (this.now() < this.downUntil) return false
    this.downUntil = 0
    this.onTrial = true
    if (!this.outElsewhere) this.log(`backend ${this.name} is back in rotation after ${seconds(this.settings.failTimeoutMs)} out`)
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
    this.outElsewhere = false
    fails.length = 0
    this.log(`backend ${this.name} is down for ${seconds(failTimeoutMs)}: ${reason}`)
    this.share?.({ kind: 'out', ms: failTimeoutMs })
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
      if (!wasDown) return
      this.log(`backend ${this.name} is up: ${detail}`)
      this.share?.({ kind: 'probe', ok: true })
    } else {
      this.lastFailedAt = this.now()
      if (this.probeDown) return
      this.probeDown = true
      this.log(`backend ${this.name} is down: ${detail}`)
      this.share?.({ kind: 'probe', ok: false })
    }
  }

  /** Takes in a change another thread made (and logged): the same state, no line, nothing shared back. */
  apply(change: HealthChange): void {
    const now = this.now()
    if (change.kind === 'out') {
      this.lastFailedAt = now
      this.downUntil = Math.max(this.downUntil, now + change.ms)
      this.onTrial = false
      this.outElsewhere = true
      this.fails.length = 0
    } else if (change.ok) {
      this.probeDown = false
      this.downUntil = 0
      this.onTrial = false
      this.fails.length = 0
    } else {
      this.lastFailedAt = now
      this.probeDown = true
    }
  }

  /** The changes that bring a fresh health (a thread started now) to this one's state. */
  changes(): HealthChange[] {
    const left = this.downUntil - this.now()
    return [
      ...(this.probeDown ? [{ kind: 'probe', ok: false } as const] : []),
      ...(left > 0 ? [{ kind: 'out', ms: left } as const] : []),
    ]
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}
