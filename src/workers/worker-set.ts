// The main process of a proxy with workers > 1: finds the ports, starts the worker processes, relays their lines and health, replaces the dead.
import { fork, type ChildProcess } from 'node:child_process'
import type { us_listen_socket } from 'uWebSockets.js'
import { toConfig, type Listener, type OptionNamer, type ProxyConfig, type ProxyOptions } from '../config/config.js'
import type { InspectConfig } from '../config/inspect-config.js'
import { nameApiOption } from '../config/option-table.js'
import { listenerUrl } from '../config/listen-address.js'
import { createLogs, type Logs } from '../exchange/access-log.js'
import { loadNativeUws, type Uws } from '../c1/native-uws.js'
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js'
import { startInspector, type Inspector } from '../inspector/inspector-server.js'
import { GatheredExchanges } from './gathered-exchanges.js'
import { HealthBoard } from './health-board.js'
import type { FromWorker, HealthNews, ToWorker, WorkerData } from './messages.js'
import { EXCLUSIVE_PORT, listen, ListenError, warnStartOnly, type Proxy } from './thread-proxy.js'

/** A worker that died within this long of its start waits this long before its replacement starts: no tight crash loop. */
const CRASH_BACKOFF_MS = 1000
/** How long close() waits past the grace period for a worker to say it has drained. */
const CLOSE_MARGIN_MS = 5000
/** How long a query (counts, metrics, inspector records) waits for a worker: a stopped or stuck one is left out, not waited for. */
const QUERY_WAIT_MS = 1000
/** What the main process asks every worker, each answer naming its question by id. */
type Query = 'count' | 'metrics' | 'exchanges'

/** One place among the workers, and the process in it now. */
interface Slot {
  readonly index: number
  readonly worker: ChildProcess
  readonly startedAt: number
  /** resolves once the process has exited */
  readonly exited: Promise<void>
  /** replies awaited from this worker, by kind ('closed', 'reloaded 3', 'count 7') */
  readonly waiting: Map<string, (message: FromWorker | undefined) => void>
}

/**
 * Starts `config.workers` worker processes serving `options` (checked into `config` already).
 * Processes, not worker threads: with uWS 20.30 a worker thread that ends while its app is
 * open (an uncaught exception, terminate()) aborts the whole process in uv_loop_close, so no
 * dead worker could be replaced. Each listener's port is bound once exclusively here, so that
 * a port another process holds is refused (and port 0 becomes one real port), then let go for
 * the workers to share with SO_REUSEPORT: the kernel spreads new connections among them.
 */
export async function startWorkers(config: ProxyConfig, options: ProxyOptions, nameOption: OptionNamer): Promise<WorkerSet> {
  const uws = loadNativeUws()
  const logs = createLogs({ quiet: config.quiet, format: config.accessLogFormat, file: config.accessLog, option: nameOption('accessLog') })
  if (config.insecure) logs.error('warning: certificate verification of https backends is OFF (--insecure)')
  // each worker process has its own counters and cache unless Redis shares them
  if (config.rateLimit && !config.redis) {
    logs.error(`warning: each of the ${config.workers} workers counts its own rate limit (up to ${config.workers}x the limit in all); --redis URL shares one`)
  }
  if (config.cacheBytes !== undefined && !config.cacheRedis) {
    logs.error(`warning: each of the ${config.workers} workers keeps its own cache of up to ${config.cacheBytes} bytes; --cache-redis URL shares one`)
  }
  const ports = await findPorts(uws, config.listeners)
  const set = new WorkerSet(config, options, ports, logs)
  await set.start()
  try {
    if (config.metrics) await set.serveMetrics(config.metrics.host, config.metrics.port)
    if (config.inspect) await set.serveInspector(config.inspect)
  } catch (err) {
    await set.close()
    throw err
  }
  return set
}

/** Binds every listener exclusively, notes its port, and lets it go again. */
async function findPorts(uws: Uws, listeners: readonly Listener[]): Promise<number[]> {
  const app = uws.App()
  const sockets: us_listen_socket[] = []
  try {
    for (const listener of listeners) sockets.push(await listen(app, listener.host, listener.port, EXCLUSIVE_PORT))
    return sockets.map((socket) => uws.us_socket_local_port(socket))
  } finally {
    for (const socket of sockets) uws.us_listen_socket_close(socket)
  }
}

/** A running proxy of several worker processes; the Proxy the API returns for workers > 1. */
export class WorkerSet implements Proxy {
  readonly url: string
  readonly port: number
  readonly urls: readonly string[]
  /** the one inspector listener, showing every worker's exchanges; undefined without `inspect` */
  inspectorUrl: string | undefined
  /** the one metrics listener, serving every worker's metrics summed; undefined without `metrics` */
  metricsUrl: string | undefined
  private metricsServer: MetricsServer | undefined
  private inspector: Inspector | undefined
  /** what the inspector reads; undefined without `inspect` */
  private gathered: GatheredExchanges | undefined
  private readonly slots: Slot[] = []
  private current: { config: ProxyConfig; options: ProxyOptions; generation: number }
  private board: HealthBoard
  private closing: Promise<void> | undefined
  private asked = 0

  constructor(private readonly started: ProxyConfig, options: ProxyOptions, private readonly ports: readonly number[],
    private readonly logs: Logs) {
    this.urls = Object.freeze(started.listeners.map((listener, i) => listenerUrl(listener, ports[i] as number)))
    this.url = this.urls[0] as string
    this.port = ports[0] as number
    this.current = { config: started, options, generation: 0 }
    this.board = this.newBoard()
  }

  /** Starts every worker; rejects (with every worker stopped) when one cannot start. */
  async start(): Promise<void> {
    const starts = Array.from({ length: this.started.workers }, (_, index) => this.startSlot(index))
    const failed = (await Promise.allSettled(starts)).find((result) => result.status === 'rejected')
    if (failed) {
      this.closing = Promise.resolve()
      await Promise.all(this.slots.map((slot) => (slot.worker.kill('SIGKILL'), slot.exited)))
      await this.board.close()
      throw failed.reason
    }
  }

  async reload(options: ProxyOptions, nameOption: OptionNamer = nameApiOption): Promise<void> {
    if (this.closing) throw new Error('the proxy is shutting down')
    const config = toConfig(options, nameOption)
    warnStartOnly(this.started, config, this.logs.error)
    const generation = this.current.generation + 1
    this.current = { config, options, generation }
    void this.board.close()
    this.board = this.newBoard()
    const replies = await Promise.all(this.slots.map((slot) => this.ask(slot, { type: 'reload', options, generation }, `reloaded ${generation}`)))
    const failed = replies.find((reply) => reply?.type === 'reloaded' && reply.error)
    if (failed?.type === 'reloaded') throw new Error(`a worker could not reload: ${failed.error}`)
  }

  close(): Promise<void> {
    return (this.closing ??= this.stop())
  }

  reopenLogs(): void {
    this.logs.reopen()
  }

  /** The exchanges each worker has served since it started, by place. */
  async countExchanges(): Promise<number[]> {
    return (await this.queryAll('count')).map((reply) => reply?.exchanges ?? 0)
  }

  /** Every worker's metrics, summed (gauges too: in flight, cache bytes; up/down takes the highest); a worker that does not answer is left out. */
  async metricsText(): Promise<string> {
    const each = (await this.queryAll('metrics')).flatMap((reply) => (reply ? [reply.metrics] : []))
    // loaded here, with --metrics only: prom-client costs every process memory
    const { AggregatorRegistry } = await import('prom-client')
    return AggregatorRegistry.aggregate(each).metrics()
  }

  /** Starts the one metrics listener of the main process. */
  async serveMetrics(host: string, port: number): Promise<void> {
    const { Registry } = await import('prom-client')
    this.metricsServer = await startMetricsServer({ metrics: () => this.metricsText(), contentType: Registry.PROMETHEUS_CONTENT_TYPE }, host, port)
    this.metricsUrl = this.metricsServer.url
  }

  /** Starts the one inspector listener of the main process, reading every worker's exchanges. */
  async serveInspector(inspect: InspectConfig): Promise<void> {
    this.gathered = new GatheredExchanges(inspect.buffer, {
      collect: async () => (await this.queryAll('exchanges')).map((reply) => reply?.records ?? []),
      sendEvents: (on) => {
        for (const slot of this.slots) send(slot.worker, { type: 'events', on })
      },
    })
    this.inspector = await startInspector(inspect, this.gathered, this.logs.error)
    this.inspectorUrl = this.inspector.url
  }

  /** Every worker's answer to a query, by place; one that has not answered within QUERY_WAIT_MS gives undefined. */
  private async queryAll<T extends Query>(type: T): Promise<(Extract<FromWorker, { type: T }> | undefined)[]> {
    const replies = await Promise.all(this.slots.map((slot) => {
      const id = ++this.asked
      return this.ask(slot, { type, id }, `${type} ${id}`, QUERY_WAIT_MS)
    }))
    return replies.map((reply) => (reply?.type === type ? reply as Extract<FromWorker, { type: T }> : undefined))
  }

  /** The process ids of the workers now, by place: `kill -9` one and another takes its place. */
  get pids(): number[] {
    return this.slots.map((slot) => slot.worker.pid as number)
  }

  private async stop(): Promise<void> {
    void this.board.close()
    const bound = this.current.config.graceMs + CLOSE_MARGIN_MS
    await Promise.all(this.slots.map((slot) => {
      const closed = this.ask(slot, { type: 'close' }, 'closed')
      const late = new Promise<void>((resolve) => setTimeout(resolve, bound).unref())
      return Promise.race([closed, late]).then(() => {
        // a worker that drained exits once its channel closes; one that did not is cut
        if (slot.worker.connected) slot.worker.disconnect()
        const killed = setTimeout(() => slot.worker.kill('SIGKILL'), CLOSE_MARGIN_MS).unref()
        return slot.exited.finally(() => clearTimeout(killed))
      })
    }))
    await Promise.all([this.metricsServer?.close(), this.inspector?.close()])
    this.logs.flush()
  }

  private newBoard(): HealthBoard {
    const { config, generation } = this.current
    return new HealthBoard(config, generation, this.logs.error, (news) => this.tellAll(news))
  }

  private tellAll(news: HealthNews, except?: Slot): void {
    for (const slot of this.slots) if (slot !== except) send(slot.worker, { type: 'health', news })
  }

  /** Starts a worker in place `index`; resolves once it listens, rejects if it cannot. */
  private startSlot(index: number): Promise<void> {
    const { options, generation } = this.current
    // µs since this process started: a replacement's inspector ids begin past its predecessor's (Recorder)
    const firstId = Math.round(performance.now() * 1000)
    const data: WorkerData = { index, options, generation, ports: this.ports, health: this.board.news(), firstId }
    const worker = forkWorker()
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    const slot: Slot = { index, worker, startedAt: performance.now(), exited, waiting: new Map() }
    this.slots[index] = slot
    send(worker, { type: 'start', data })
    // /events is being watched: this worker's events are wanted from its first exchange
    if (this.gathered?.watched) send(worker, { type: 'events', on: true })
    let ready = false
    let died = ''
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true
          return resolve()
        }
        if (message.type === 'failed') {
          died = message.message
          worker.kill('SIGKILL')
          // a port the workers cannot share (taken between the check and the worker) is a ListenError too
          return reject(message.message.startsWith('cannot listen') ? new ListenError(message.message) : new Error(message.message))
        }
        this.onMessage(slot, message)
      })
      // a failed send (the worker gone) shows as its exit
      worker.on('error', () => {})
      worker.on('exit', (code, signal) => {
        for (const answer of slot.waiting.values()) answer(undefined)
        const why = died || (signal ? `killed by ${signal}` : `exit code ${code}`)
        if (!ready) return reject(new Error(`worker ${index} stopped before it listened: ${why}`))
        if (this.closing || this.slots[index] !== slot) return
        this.logs.error(`worker ${index} (pid ${worker.pid}) stopped (${why}); its connections are closed, starting another`)
        const lived = performance.now() - slot.startedAt
        setTimeout(() => this.replace(index), lived < CRASH_BACKOFF_MS ? CRASH_BACKOFF_MS : 0)
      })
    })
  }

  /** Starts the replacement of a dead worker; one that cannot start is said and tried again. */
  private replace(index: number): void {
    if (this.closing) return
    this.startSlot(index).catch((err: Error) => {
      this.logs.error(`worker ${index} could not start: ${err.message}`)
      if (!this.closing) setTimeout(() => this.replace(index), CRASH_BACKOFF_MS)
    })
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'access':
        return this.logs.lines(message.text)
      case 'stderr':
        return void process.stderr.write(message.text)
      case 'health':
        this.board.apply(message.news)
        return this.tellAll(message.news, slot)
      case 'reloaded':
        return this.answer(slot, `reloaded ${message.generation}`, message)
      case 'count':
        return this.answer(slot, `count ${message.id}`, message)
      case 'metrics':
        return this.answer(slot, `metrics ${message.id}`, message)
      case 'exchanges':
        return this.answer(slot, `exchanges ${message.id}`, message)
      case 'events':
        return this.gathered?.tell(message.lines)
      case 'closed':
        return this.answer(slot, 'closed', message)
    }
  }

  /** Sends `message` and resolves with the `reply` to it; undefined if the worker exits first, or after `ms` when given. */
  private ask(slot: Slot, message: ToWorker, reply: string, ms?: number): Promise<FromWorker | undefined> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.answer(slot, reply, undefined), ms).unref()
      slot.waiting.set(reply, (answer) => {
        clearTimeout(timer)
        resolve(answer)
      })
      if (!send(slot.worker, message)) this.answer(slot, reply, undefined)
    })
  }

  private answer(slot: Slot, reply: string, message: FromWorker | undefined): void {
    slot.waiting.get(reply)?.(message)
    slot.waiting.delete(reply)
  }
}

/** Sends `message` to a worker; false when its channel is closed already (it is exiting). */
function send(worker: ChildProcess, message: ToWorker): boolean {
  return worker.connected && worker.send(message)
}

/**
 * A process running worker-entry, its stdout ignored (access lines come over the channel), its
 * stderr this process's (a crash's trace). From the TypeScript sources (tests, `tsx src/cli.ts`)
 * it runs through tsx, as the main process does.
 */
function forkWorker(): ChildProcess {
  const fromSources = import.meta.url.endsWith('.ts')
  const entry = new URL(`./worker-entry${fromSources ? '.ts' : '.js'}`, import.meta.url)
  return fork(entry, [], {
    execArgv: fromSources ? ['--import', import.meta.resolve('tsx')] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
}
