// One measurement cell: a tinybench task firing batches of concurrent requests at one target.
import { Bench } from 'tinybench'
import { openSenders, type ClientKind } from './load-clients.js'
import { cpus } from 'node:os'
import { cpuMs, cpuTime, machineBusyMs, memory, resetPeak } from './proc-stats.js'
import type { Party } from './targets.js'
import type { Workload } from './workloads.js'
import { runWrkCell } from './wrk-cell.js'

export interface CellOptions {
  client: ClientKind
  /** tinybench time budget for the timed run, ms. */
  timeMs: number
  /** tinybench warmup budget, ms. */
  warmupMs: number
  /** The backend, whose CPU is recorded beside the target's. */
  backend: Party
}

export interface CellResult {
  requests: number
  elapsed_ms: number
  rps: number
  bytes_per_s: number
  p50_ms: number
  p99_ms: number
  /** CPU time of the target's processes over the timed run, per request (for direct: the backend's). */
  cpu_us_per_req: number
  /** The kernel's share of that CPU time, percent (loopback sends and receives are charged here). */
  cpu_sys_pct: number
  /** CPU time of the backend per request (the same as cpu_us_per_req for direct). */
  backend_cpu_us_per_req: number
  /** CPU time of the load generator (this process) per request. */
  load_cpu_us_per_req: number
  /** RSS shortly after the timed run, and its peak over warmup + run (VmHWM after a reset). */
  rss_mb: number
  peak_rss_mb: number
  /**
   * CPU used by everything else on the machine during the timed run (other processes, and kernel
   * softirq time not charged to any party), as a percentage of all CPUs. High values flag a noisy cell.
   */
  other_cpu_pct: number
  /** tinybench's own figures for the batch task. */
  batches: number
  batch_mean_ms: number
  batch_rme_pct: number
}

/** A growable record of per-request latencies, ms. */
class Latencies {
  #data = new Float64Array(1 << 16)
  length = 0
  push (ms: number): void {
    if (this.length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2)
      bigger.set(this.#data)
      this.#data = bigger
    }
    this.#data[this.length++] = ms
  }

  percentile (p: number): number {
    if (this.length === 0) return NaN
    const sorted = this.#data.slice(0, this.length).sort()
    return sorted[Math.min(this.length - 1, Math.floor(p * this.length))]!
  }
}

export async function runCell (target: Party, workload: Workload, concurrency: number, opts: CellOptions): Promise<CellResult> {
  if (opts.client === 'wrk') return runWrkCell(target, workload, concurrency, opts)
  resetPeak(target.pid)
  const { senders, close } = await openSenders(opts.client, target.url, workload, concurrency)
  const perConnection = Math.max(1, Math.round(workload.batch / concurrency))
  const sentPerRequest = workload.body === null ? 0 : workload.body.length
  const latencies = new Latencies()
  let timing = false
  let requests = 0
  let bytes = 0
  let t0 = 0; let t1 = 0
  let cpu0 = 0; let cpu1 = 0
  let sys0 = 0; let sys1 = 0
  let bcpu0 = 0; let bcpu1 = 0
  let busy0 = 0; let busy1 = 0
  let self0 = process.cpuUsage()
  let self1 = self0

  const worker = async (send: () => Promise<number>): Promise<void> => {
    for (let i = 0; i < perConnection; i++) {
      const start = performance.now()
      const got = await send()
      if (timing) {
        latencies.push(performance.now() - start)
        requests++
        bytes += got + sentPerRequest
      }
    }
  }

  const bench = new Bench({
    time: opts.timeMs, iterations: 1, warmup: opts.warmupMs > 0, warmupTime: opts.warmupMs, warmupIterations: 1, throws: true,
  })
  bench.add(`${workload.name} c=${concurrency} ${target.name}`, async () => {
    await Promise.all(senders.map(worker))
  }, {
    beforeAll (mode) {
      if (mode !== 'run') return
      timing = true
      self0 = process.cpuUsage()
      ;({ total: cpu0, sys: sys0 } = cpuTime(target.pid))
      bcpu0 = target.pid === opts.backend.pid ? cpu0 : cpuMs(opts.backend.pid)
      busy0 = machineBusyMs()
      t0 = performance.now()
    },
    afterAll (mode) {
      if (mode !== 'run') return
      t1 = performance.now()
      busy1 = machineBusyMs()
      ;({ total: cpu1, sys: sys1 } = cpuTime(target.pid))
      bcpu1 = target.pid === opts.backend.pid ? cpu1 : cpuMs(opts.backend.pid)
      self1 = process.cpuUsage(self0)
      timing = false
    },
  })
  try {
    await bench.run()
  } finally {
    await close()
  }
  const task = bench.tasks[0]!
  const result = task.result
  if (result.state !== 'completed') {
    throw new Error(`${task.name}: ${result.state === 'errored' ? result.error.message : result.state}`)
  }
  // Let the party settle, then read its memory after load.
  await new Promise((resolve) => setTimeout(resolve, 100))
  const mem = memory(target.pid)
  const elapsed = t1 - t0
  const perReq = (ms: number): number => ms * 1000 / requests
  return {
    requests,
    elapsed_ms: elapsed,
    rps: requests * 1000 / elapsed,
    bytes_per_s: bytes * 1000 / elapsed,
    p50_ms: latencies.percentile(0.5),
    p99_ms: latencies.percentile(0.99),
    cpu_us_per_req: perReq(cpu1 - cpu0),
    cpu_sys_pct: 100 * (sys1 - sys0) / (cpu1 - cpu0),
    backend_cpu_us_per_req: perReq(bcpu1 - bcpu0),
    load_cpu_us_per_req: (self1.user + self1.system) / requests,
    other_cpu_pct: 100 * ((busy1 - busy0) - (cpu1 - cpu0) - (target.pid === opts.backend.pid ? 0 : bcpu1 - bcpu0) -
      (self1.user + self1.system) / 1000) / (elapsed * cpus().length),
    rss_mb: mem.rssMb,
    peak_rss_mb: mem.peakMb,
    batches: task.runs,
    batch_mean_ms: result.latency.mean,
    batch_rme_pct: result.latency.rme,
  }
}
