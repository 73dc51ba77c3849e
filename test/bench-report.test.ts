// The bench table's ±% column: half the req/s spread over rounds, and – when one round has no spread to show.
import t from 'tap'
import { aggregate, formatTable, type Sample } from '../bench/report.js'

/** A small-get cell for uproxy at 32 connections, one sample per req/s given. */
function samples(rpsPerRound: number[]): Sample[] {
  return rpsPerRound.map((rps, round) => ({
    workload: 'small-get', concurrency: 32, target: 'uproxy', round, rps, p50_ms: 1, p99_ms: 2, rss_mb: 100, peak_rss_mb: 110,
    cpu_us_per_req: 90, cpu_sys_pct: 20, backend_cpu_us_per_req: 10, load_cpu_us_per_req: 10, bytes_per_s: 1e6, other_cpu_pct: 0,
  }) as unknown as Sample)
}

/** The ±% cell of the table's only row. */
function spreadCell(rpsPerRound: number[]): string {
  const [head, , row] = formatTable(aggregate(samples(rpsPerRound))).split('\n')
  // columns are separated by two spaces or more, and no cell holds two spaces
  const column = (head ?? '').trim().split(/\s{2,}/).indexOf('±%')
  return (row ?? '').trim().split(/\s{2,}/)[column] ?? ''
}

t.equal(spreadCell([1000]), '–', 'one round: want –, not 0')
t.equal(spreadCell([1000, 1000, 1000]), '0', 'three equal rounds: want 0, a real absence of spread')
t.equal(spreadCell([900, 1000, 1100]), '10', 'rounds 900/1000/1100: want ±10 %')
