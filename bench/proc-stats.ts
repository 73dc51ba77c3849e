// CPU time and memory of a party's processes, read from /proc (Linux only).
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'

/** Clock ticks per second for utime/stime (`getconf CLK_TCK`, almost always 100). */
const CLK_TCK = ((): number => {
  try { return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100 } catch { return 100 }
})()

/** A pid and every live descendant (nginx's workers; node's own helpers are threads, already counted). */
export function processTree (pid: number): number[] {
  const out = [pid]
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!
    let tasks: string[]
    try { tasks = readdirSync(`/proc/${p}/task`) } catch { continue }
    for (const t of tasks) {
      try {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').split(' ')) {
          if (c.trim() !== '') out.push(Number(c))
        }
      } catch {}
    }
  }
  return out
}

export interface CpuTime {
  /** user + system, ms */
  total: number
  /** system (kernel) part, ms */
  sys: number
}

/** utime + stime (and those of reaped children) of one process, in milliseconds. */
function cpuOf (pid: number): CpuTime {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name, which may itself contain spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const user = Number(f[11]) + Number(f[13])
    const sys = Number(f[12]) + Number(f[14])
    return { total: (user + sys) * 1000 / CLK_TCK, sys: sys * 1000 / CLK_TCK }
  } catch {
    return { total: 0, sys: 0 }
  }
}

/** CPU time used so far by the process tree rooted at pid. */
export function cpuTime (pid: number): CpuTime {
  const sum = { total: 0, sys: 0 }
  for (const p of processTree(pid)) {
    const t = cpuOf(p)
    sum.total += t.total
    sum.sys += t.sys
  }
  return sum
}

/** CPU ms of this process's reaped children (cutime + cstime): a load generator's, once it has exited. */
export function childrenCpuMs (): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[13]) + Number(f[14])) * 1000 / CLK_TCK
}

/** CPU milliseconds used so far by the process tree rooted at pid. */
export function cpuMs (pid: number): number {
  return cpuTime(pid).total
}

function statusKb (pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

export interface Memory { rssMb: number, peakMb: number }

/** Current RSS and peak RSS (VmHWM, since the last resetPeak) of the tree, in MiB. */
export function memory (pid: number): Memory {
  let rss = 0
  let peak = 0
  for (const p of processTree(pid)) {
    rss += statusKb(p, 'VmRSS')
    peak += statusKb(p, 'VmHWM')
  }
  return { rssMb: rss / 1024, peakMb: peak / 1024 }
}

/**
 * Reset VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0), so the next
 * memory() reports the peak of one measurement, not of the process's whole life.
 * Returns false when not permitted; the peak then covers the process's life so far.
 */
export function resetPeak (pid: number): boolean {
  let ok = true
  for (const p of processTree(pid)) {
    try { writeFileSync(`/proc/${p}/clear_refs`, '5') } catch { ok = false }
  }
  return ok
}

/** Busy CPU milliseconds of the whole machine so far (all CPUs: user, nice, system, irq, softirq, steal). */
export function machineBusyMs (): number {
  const f = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f
  return (user + nice + system + irq + softirq + steal) * 1000 / CLK_TCK
}
