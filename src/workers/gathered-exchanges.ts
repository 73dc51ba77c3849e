// The inspector's exchanges in the main process of several workers: every worker's records merged, their events relayed.
import type { ExchangeRecord } from '../inspector/exchange-record.js'
import type { ExchangeSource } from '../inspector/exchange-source.js'

/** What the gatherer asks of the workers. */
export interface WorkerExchanges {
  /** each live worker's records, masked already; a worker that does not answer in time gives none */
  collect(): Promise<ExchangeRecord[][]>
  /** tells every worker to send its event lines (`on`), or to stop */
  sendEvents(on: boolean): void
}

/**
 * The exchanges of every worker, for the main process's one inspector listener. Records are
 * asked for when /exchanges or /har is; events flow only while /events has a listener, so
 * that nobody watching costs no message per exchange.
 */
export class GatheredExchanges implements ExchangeSource<ExchangeRecord> {
  private readonly listeners = new Set<(line: string) => void>()

  constructor(private readonly buffer: number, private readonly workers: WorkerExchanges) {}

  /** Every worker's records by start, oldest first: the newest `buffer` of them, as one worker would keep. */
  async records(): Promise<ExchangeRecord[]> {
    const merged = (await this.workers.collect()).flat().sort((a, b) => a.started - b.started)
    return merged.slice(-this.buffer)
  }

  view(record: ExchangeRecord): ExchangeRecord {
    return record
  }

  subscribe(listener: (line: string) => void): () => void {
    this.listeners.add(listener)
    if (this.listeners.size === 1) this.workers.sendEvents(true)
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.workers.sendEvents(false)
    }
  }

  /** True while /events has a listener: a worker started now is told to send its events too. */
  get watched(): boolean {
    return this.listeners.size > 0
  }

  /** A worker's event lines, to every listener. */
  tell(lines: readonly string[]): void {
    for (const line of lines) for (const listener of this.listeners) listener(line)
  }
}
