// What the main process and its worker processes say to each other over their IPC channel.
import type { HealthChange } from '../balancing/backend-health.js'
import type { ProxyOptions } from '../config/config.js'
import type { ExchangeRecord } from '../inspector/exchange-record.js'

/** A change of one backend's health in one configuration (generation), for every process to apply. */
export interface HealthNews {
  /** counts reloads: news of a replaced configuration is stale */
  readonly generation: number
  /** the backend, as healthKey names it */
  readonly key: string
  readonly change: HealthChange
}

/** What a worker starts with. */
export interface WorkerData {
  /** its place among the workers, 0-based; a replacement takes the place of the one that died */
  readonly index: number
  /** checked already by the main process */
  readonly options: ProxyOptions
  readonly generation: number
  /** each listener's port, found free by the main process */
  readonly ports: readonly number[]
  /** the backends already down when it starts */
  readonly health: readonly HealthNews[]
  /** the microseconds since the main process started, now: where its inspector's ids begin */
  readonly firstId: number
}

/** Main process → worker. */
export type ToWorker =
  | { readonly type: 'start'; readonly data: WorkerData }
  | { readonly type: 'reload'; readonly options: ProxyOptions; readonly generation: number }
  | { readonly type: 'health'; readonly news: HealthNews }
  | { readonly type: 'count'; readonly id: number }
  /** the worker's metrics as prom-client JSON, for the main process to sum */
  | { readonly type: 'metrics'; readonly id: number }
  /** the inspector's records, masked, for the main process to merge */
  | { readonly type: 'exchanges'; readonly id: number }
  /** start or stop sending the inspector's events: on while the main process has /events listeners */
  | { readonly type: 'events'; readonly on: boolean }
  | { readonly type: 'close' }

/** Worker → main process. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  /** access lines, whole: the main process is the log's one writer */
  | { readonly type: 'access'; readonly text: string }
  | { readonly type: 'stderr'; readonly text: string }
  | { readonly type: 'health'; readonly news: HealthNews }
  | { readonly type: 'reloaded'; readonly generation: number; readonly error?: string }
  | { readonly type: 'count'; readonly id: number; readonly exchanges: number }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: unknown[] }
  | { readonly type: 'exchanges'; readonly id: number; readonly records: ExchangeRecord[] }
  /** the inspector's event lines of one event-loop turn */
  | { readonly type: 'events'; readonly lines: string[] }
  | { readonly type: 'closed' }
