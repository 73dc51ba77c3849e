// A worker process: one process's proxy on the shared port, its lines and health news sent to the main process.
import type { Registry } from 'prom-client'
import type { BackendHealth } from '../balancing/backend-health.js'
import { toConfig } from '../config/config.js'
import { nameApiOption } from '../config/option-table.js'
import { createLogs } from '../exchange/access-log.js'
import type { ExchangeRecord } from '../inspector/exchange-record.js'
import { Recorder } from '../inspector/recorder.js'
import type { HealthLink } from '../routing/live-targets.js'
import type { FromWorker, HealthNews, ToWorker, WorkerData } from './messages.js'
import { startThreadProxy, type Proxy } from './thread-proxy.js'

const post = (message: FromWorker) => void process.send?.(message)

let generation = 0
/** the healths of the configuration in force, by backend */
let healths = new Map<string, BackendHealth>()
let exchanges = 0
let proxy: Proxy | undefined
let registry: Registry | undefined
/** with `inspect`: this worker's exchanges */
let recorder: Recorder | undefined
/** stops sending the recorder's events; undefined while none are sent */
let stopEvents: (() => void) | undefined

/** A new configuration's link: what it changes goes out, tagged with its generation. */
function linkHealth(): HealthLink {
  const tagged = generation
  const adopted = new Map<string, BackendHealth>()
  healths = adopted
  return {
    share: (key, change) => post({ type: 'health', news: { generation: tagged, key, change } }),
    adopt: (key, health) => void adopted.set(key, health),
  }
}

/** news that came while the worker was starting, before its backends existed: applied once they do */
let early: HealthNews[] | undefined = []

function applyNews(news: HealthNews): void {
  if (early) return void early.push(news)
  if (news.generation === generation) healths.get(news.key)?.apply(news.change)
}

/** The recorder's records as shown: masked here, where the setting is. */
function viewRecords(): ExchangeRecord[] {
  const kept = recorder
  return kept ? kept.records().map((record) => kept.view(record)) : []
}

/** Sends the recorder's event lines to the main process, a batch per event-loop turn, while `on`. */
function sendEvents(on: boolean): void {
  if (!on) {
    stopEvents?.()
    stopEvents = undefined
    return
  }
  let lines: string[] = []
  const flush = () => {
    post({ type: 'events', lines })
    lines = []
  }
  stopEvents ??= recorder?.subscribe((line) => {
    if (lines.push(line) === 1) setImmediate(flush)
  })
}

async function startWorker(data: WorkerData): Promise<void> {
  generation = data.generation
  try {
    const config = toConfig(data.options)
    const logs = createLogs({ quiet: config.quiet, format: config.accessLogFormat, file: undefined, option: 'accessLog' },
      { write: (text) => post({ type: 'access', text }) }, { write: (text) => post({ type: 'stderr', text }) })
    const counting = { end: () => void exchanges++ }
    // made before the first await: an `events` message that follows `start` finds it
    recorder = config.inspect && new Recorder(config.inspect.buffer, config.inspect.secrets,
      { index: data.index, workers: config.workers, firstId: data.firstId })
    proxy = await startThreadProxy(config, [counting], nameApiOption,
      { ports: data.ports, logs, link: linkHealth, metrics: (r) => void (registry = r), recorder })
    const queued = [...data.health, ...(early ?? [])]
    early = undefined
    for (const news of queued) applyNews(news)
    post({ type: 'ready' })
  } catch (err) {
    post({ type: 'failed', message: (err as Error).message })
  }
}

/** Answers the main process; a failed reload is said, not thrown (it was checked before it came). */
async function onMessage(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start':
      return startWorker(message.data)
    case 'health':
      return applyNews(message.news)
    case 'count':
      return post({ type: 'count', id: message.id, exchanges })
    case 'metrics':
      return post({ type: 'metrics', id: message.id, metrics: registry ? await registry.getMetricsAsJSON() : [] })
    case 'exchanges':
      return post({ type: 'exchanges', id: message.id, records: viewRecords() })
    case 'events':
      return sendEvents(message.on)
    case 'reload':
      try {
        generation = message.generation
        await proxy?.reload(message.options)
        post({ type: 'reloaded', generation: message.generation })
      } catch (err) {
        post({ type: 'reloaded', generation: message.generation, error: (err as Error).message })
      }
      return
    case 'close':
      await proxy?.close()
      return post({ type: 'closed' })
  }
}

process.on('message', (message: ToWorker) => void onMessage(message))
// signals are for the main process, which tells the workers (a terminal's Ctrl-C reaches the whole group)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'] as const) process.on(signal, () => {})
// without the main process there is no one to write the log or to stop this one: stop at once
process.on('disconnect', () => process.exit(0))
