// One measurement cell driven by wrk (C, one thread) instead of this Node process.
//
// Why: on two cores the load generator competes with the parties it measures. The raw Node client
// spends ~8 µs of CPU per small request, wrk ~5 µs, so wrk leaves the most CPU to the proxy: the
// fairest load for asking whether a second worker gains anything. tinybench stays the default
// harness (`--client raw`); this is the one cell kind it cannot drive, a separate program.
import { execFileSync, spawn } from 'node:child_process'
import { cpus } from 'node:os'
import type { CellOptions, CellResult } from './load.js'
import { childrenCpuMs, cpuMs, cpuTime, machineBusyMs, memory, resetPeak } from './proc-stats.js'
import type { Party } from './targets.js'
import type { Workload } from './workloads.js'

/** wrk's path, or null when it is not installed (`apt-get install wrk`). */
export function findWrk (): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null
  } catch {
    return null
  }
}

interface WrkRun {
  requests: number
  seconds: number
  bytes: number
  p50_ms: number
  p99_ms: number
}

/** Runs wrk once for `ms` and reads its summary; rejects on errors or non-2xx answers. */
function runWrk (url: URL, workload: Workload, concurrency: number, ms: number): Promise<WrkRun> {
  const headers = Object.entries(workload.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`])
  // --timeout: a slow answer is latency to report, not a socket error
  const args = ['-t1', `-c${concurrency}`, `-d${Math.max(1, Math.round(ms / 1000))}s`, '--timeout', '60s', '--latency', ...headers, new URL(workload.path, url).href]
  return new Promise((resolve, reject) => {
    const wrk = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    wrk.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    wrk.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
    wrk.once('error', reject)
    wrk.once('close', (code) => {
      const summary = /(\d+) requests in ([\d.]+)(m?s), ([\d.]+)([KMG]?B) read/.exec(out)
      const trouble = /Non-2xx or 3xx responses: \d+|Socket errors: .*/.exec(out)
      if (code !== 0 || summary === null || (trouble !== null && !/connect 0, read 0, write 0, timeout 0/.test(trouble[0]))) {
        reject(new Error(`wrk ${args.join(' ')}: ${trouble?.[0] ?? `exit ${code}`}\n${out}`))
        return
      }
      const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[summary[5]!] ?? 1
      resolve({
        requests: Number(summary[1]),
        seconds: Number(summary[2]) / (summary[3] === 'ms' ? 1000 : 1),
        bytes: Number(summary[4]) * unit,
        p50_ms: latencyMs(out, '50%'),
        p99_ms: latencyMs(out, '99%'),
      })
    })
  })
}

/** A percentile from wrk's --latency table ('50%    1.23ms'). */
function latencyMs (out: string, percentile: string): number {
  const m = new RegExp(`^\\s*${percentile}\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out)
  if (m === null) return NaN
  return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's']
}

export async function runWrkCell (target: Party, workload: Workload, concurrency: number, opts: CellOptions): Promise<CellResult> {
  if (workload.body !== null) throw new Error(`--client wrk: GET workloads only, not ${workload.name}`)
  resetPeak(target.pid)
  if (opts.warmupMs > 0) await runWrk(target.url, workload, concurrency, opts.warmupMs)
  const cpu0 = cpuTime(target.pid)
  const bcpu0 = cpuMs(opts.backend.pid)
  const busy0 = machineBusyMs()
  const load0 = childrenCpuMs()
  const run = await runWrk(target.url, workload, concurrency, opts.timeMs)
  const load1 = childrenCpuMs()
  const busy1 = machineBusyMs()
  const bcpu1 = cpuMs(opts.backend.pid)
  const cpu1 = cpuTime(target.pid)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const mem = memory(target.pid)
  const isBackend = target.pid === opts.backend.pid
  const cpu = cpu1.total - cpu0.total
  const backendCpu = isBackend ? cpu : bcpu1 - bcpu0
  const perReq = (ms: number): number => ms * 1000 / run.requests
  return {
    requests: run.requests,
    elapsed_ms: run.seconds * 1000,
    rps: run.requests / run.seconds,
    bytes_per_s: run.bytes / run.seconds,
    p50_ms: run.p50_ms,
    p99_ms: run.p99_ms,
    cpu_us_per_req: perReq(cpu),
    cpu_sys_pct: 100 * (cpu1.sys - cpu0.sys) / cpu,
    backend_cpu_us_per_req: perReq(backendCpu),
    load_cpu_us_per_req: perReq(load1 - load0),
    other_cpu_pct: 100 * ((busy1 - busy0) - cpu - (isBackend ? 0 : backendCpu) - (load1 - load0)) / (run.seconds * 1000 * cpus().length),
    rss_mb: mem.rssMb,
    peak_rss_mb: mem.peakMb,
    batches: 1,
    batch_mean_ms: run.seconds * 1000,
    batch_rme_pct: 0,
  }
}
