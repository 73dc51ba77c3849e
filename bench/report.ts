// Turn per-round cell results into medians, spreads, the table, the ratio lines and results.json.
import type { CellResult } from './load.js'
import { TARGET_NAMES, type TargetName } from './targets.js'
import { WORKLOADS, type WorkloadName } from './workloads.js'

export interface Sample extends CellResult {
  workload: WorkloadName
  concurrency: number
  target: TargetName
  round: number
}

/** One row of results.json: medians over rounds, plus the per-round samples. */
export interface Row {
  workload: WorkloadName
  concurrency: number
  target: TargetName
  rps: number
  p50_ms: number
  p99_ms: number
  rss_mb: number
  peak_rss_mb: number
  cpu_us_per_req: number
  cpu_sys_pct: number
  backend_cpu_us_per_req: number
  load_cpu_us_per_req: number
  bytes_per_s: number
  /** Median share of all CPUs used by other processes and unattributed kernel work during the runs. */
  other_cpu_pct: number
  /** min and max req/s over rounds, and (max − min) / median in percent. */
  rps_min: number
  rps_max: number
  rps_spread_pct: number
  rounds: number
  samples: Array<Pick<CellResult, 'rps' | 'p50_ms' | 'p99_ms' | 'cpu_us_per_req' | 'rss_mb' | 'peak_rss_mb' | 'other_cpu_pct'>>
}

export interface Ratio {
  workload: WorkloadName
  concurrency: number
  of: TargetName
  to: TargetName
  /** Medians over rounds of the per-round ratios (targets interleaved, so each ratio compares neighbours in time). */
  rps: number
  rps_min: number
  rps_max: number
  cpu: number
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function aggregate (samples: Sample[]): Row[] {
  const groups = new Map<string, Sample[]>()
  for (const s of samples) {
    const key = `${s.workload}\0${s.concurrency}\0${s.target}`
    const g = groups.get(key)
    if (g === undefined) groups.set(key, [s])
    else g.push(s)
  }
  const order = (s: Sample): string => `${WORKLOADS.findIndex((w) => w.name === s.workload)}\0${String(s.concurrency).padStart(6)}\0${TARGET_NAMES.indexOf(s.target)}`
  const sorted = [...groups.values()].sort((a, b) => order(a[0]!) < order(b[0]!) ? -1 : 1)
  return sorted.map((g) => {
    const m = (f: (s: Sample) => number): number => median(g.map(f))
    const rps = g.map((s) => s.rps)
    const med = median(rps)
    return {
      workload: g[0]!.workload,
      concurrency: g[0]!.concurrency,
      target: g[0]!.target,
      rps: med,
      p50_ms: m((s) => s.p50_ms),
      p99_ms: m((s) => s.p99_ms),
      rss_mb: m((s) => s.rss_mb),
      peak_rss_mb: Math.max(...g.map((s) => s.peak_rss_mb)),
      cpu_us_per_req: m((s) => s.cpu_us_per_req),
      cpu_sys_pct: m((s) => s.cpu_sys_pct),
      backend_cpu_us_per_req: m((s) => s.backend_cpu_us_per_req),
      load_cpu_us_per_req: m((s) => s.load_cpu_us_per_req),
      bytes_per_s: m((s) => s.bytes_per_s),
      other_cpu_pct: m((s) => s.other_cpu_pct),
      rps_min: Math.min(...rps),
      rps_max: Math.max(...rps),
      rps_spread_pct: 100 * (Math.max(...rps) - Math.min(...rps)) / med,
      rounds: g.length,
      samples: g.map(({ rps, p50_ms, p99_ms, cpu_us_per_req, rss_mb, peak_rss_mb, other_cpu_pct }) => ({ rps, p50_ms, p99_ms, cpu_us_per_req, rss_mb, peak_rss_mb, other_cpu_pct })),
    }
  })
}

/** Per-round ratios of `of` over `to` for every workload and concurrency where both were measured. */
export function ratios (samples: Sample[], of: TargetName, to: TargetName): Ratio[] {
  const out: Ratio[] = []
  const cells = new Map<string, { a: Sample[], b: Sample[] }>()
  for (const s of samples) {
    if (s.target !== of && s.target !== to) continue
    const key = `${s.workload}\0${s.concurrency}`
    let c = cells.get(key)
    if (c === undefined) { c = { a: [], b: [] }; cells.set(key, c) }
    ;(s.target === of ? c.a : c.b).push(s)
  }
  for (const { a, b } of cells.values()) {
    const rps: number[] = []
    const cpu: number[] = []
    for (const x of a) {
      const y = b.find((s) => s.round === x.round)
      if (y === undefined) continue
      rps.push(x.rps / y.rps)
      cpu.push(x.cpu_us_per_req / y.cpu_us_per_req)
    }
    if (rps.length === 0) continue
    out.push({ workload: a[0]!.workload, concurrency: a[0]!.concurrency, of, to, rps: median(rps), rps_min: Math.min(...rps), rps_max: Math.max(...rps), cpu: median(cpu) })
  }
  return out
}

const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'
const pad = (s: string, n: number): string => s.padStart(n)

/** Half the spread of req/s over rounds, in percent; '–' for one round, which has no spread to show (0 would read as "no noise"). */
const spread = (r: Row): string => r.rounds < 2 ? '–' : fmt(r.rps_spread_pct / 2)

/** The table: medians over rounds, spread of req/s in brackets. */
export function formatTable (rows: Row[]): string {
  const head = ['workload', 'conc', 'target', 'req/s', '±%', 'p50 ms', 'p99 ms', 'MB/s', 'RSS MB', 'peak MB', 'CPU µs/req', 'sys %']
  const lines = rows.map((r) => [
    r.workload, String(r.concurrency), r.target, fmt(r.rps), spread(r), fmt(r.p50_ms, 2), fmt(r.p99_ms, 2),
    fmt(r.bytes_per_s / 1e6), fmt(r.rss_mb), fmt(r.peak_rss_mb), fmt(r.cpu_us_per_req, r.cpu_us_per_req < 100 ? 1 : 0),
    fmt(r.cpu_sys_pct),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const row = (cells: string[]): string => cells.map((c, i) => i < 3 ? c.padEnd(widths[i]!) : pad(c, widths[i]!)).join('  ')
  return [row(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(row)].join('\n')
}

/** One line per workload: req/s ratio (and CPU-per-request ratio) at each concurrency. */
export function formatRatioLines (rs: Ratio[], workloads: WorkloadName[]): string[] {
  const lines: string[] = []
  const pairs = [...new Set(rs.map((r) => `${r.of}/${r.to}`))]
  for (const w of workloads) {
    const parts: string[] = []
    for (const pair of pairs) {
      const cells = rs.filter((r) => r.workload === w && `${r.of}/${r.to}` === pair).sort((a, b) => a.concurrency - b.concurrency)
      if (cells.length === 0) continue
      const rps = cells.map((r) => `c${r.concurrency} ${fmt(r.rps, 2)}× (${fmt(r.rps_min, 2)}–${fmt(r.rps_max, 2)})`).join(', ')
      const cpu = cells.map((r) => `${fmt(r.cpu, 2)}×`).join(' ')
      // CPU per request against direct would compare a proxy with the backend: not a like-for-like figure.
      parts.push(pair.endsWith('/direct') ? `${pair} req/s ${rps}` : `${pair} req/s ${rps}; CPU/req ${cpu}`)
    }
    if (parts.length > 0) lines.push(`${w.padEnd(9)}  ${parts.join('  |  ')}`)
  }
  return lines
}
