// What the inspector's listener reads: the exchanges kept, and their events as they happen.
import type { ExchangeRecord } from './exchange-record.js'

/**
 * The exchanges the inspector shows: this process's Recorder (1 worker), or every worker's,
 * gathered by the main process (several). `R` is a record as the source keeps it; `view` turns it
 * into what is shown as the answer is written, so that a record is masked only when read.
 */
export interface ExchangeSource<R> {
  /** the records kept, oldest first */
  records(): R[] | Promise<R[]>
  view(record: R): ExchangeRecord
  /** calls `listener` with each event as one JSON line, from now on; returns the unsubscribe */
  subscribe(listener: (line: string) => void): () => void
}
