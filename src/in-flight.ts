// The exchanges still open, so that shutdown can wait for them and then cut what is left.

/** Something in flight that shutdown can cut once the grace period is over. */
export interface Closable {
  close(): void
}

/** A set of open exchanges that can tell when it has drained. */
export class InFlight<T extends Closable> {
  private readonly open = new Set<T>()
  private drained: (() => void) | undefined

  add(item: T): void {
    this.open.add(item)
  }

  delete(item: T): void {
    if (this.open.delete(item) && this.open.size === 0) this.drained?.()
  }

  get size(): number {
    return this.open.size
  }

  /** Resolves when nothing is in flight or after `ms`, whichever is first; then closes what is left. */
  async drain(ms: number): Promise<void> {
    if (this.open.size > 0) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        this.drained = resolve
        timer = setTimeout(resolve, ms)
      })
      clearTimeout(timer)
      this.drained = undefined
    }
    for (const item of [...this.open]) item.close()
  }
}
