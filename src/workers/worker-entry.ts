// A worker process: one process's proxy on the shared port, its lines and health news sent to the main process.
import type { Registry } from 'prom-client'
import type { BackendHealth } from '../balancing/backend-health.js'
import { toConfig } from '../config/config.js'
import { nameApiOption } from '../config/option-table.js'
import { createLogs } from '../exchange/access-log.js'
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

function applyNews(news: HealthNews): void {
  if (news.generation === generation) healths.get(news.key)?.apply(news.change)
}

async function startWorker(data: WorkerData): Promise<void> {
  generation = data.generation
  try {
    const config = toConfig(data.options)
    const logs = createLogs({ quiet: config.quiet, format: config.accessLogFormat, file: undefined, option: 'accessLog' },
      { write: (text) => post({ type: 'access', text }) }, { write: (text) => post({ type: 'stderr', text }) })
    const counting = { end: () => void exchanges++ }
    proxy = await startThreadProxy(config, [counting], nameApiOption, { ports: data.ports, logs, link: linkHealth, metrics: (r) => void (registry = r) })
    for (const news of data.health) applyNews(news)
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
