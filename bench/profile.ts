// `npx tsx bench/profile.ts [--workload small-get] [--concurrency 32] [--seconds 10] [--target uproxy|uproxy-edge|node-http]`:
// run uproxy (or the node-http baseline, to compare) under `node --cpu-prof` with the bench's load,
// then print its top self-time functions.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { compileParties, REPO_ROOT } from './compile.js'
import { runCell } from './load.js'
import { startBackend, startTarget, type TargetName } from './targets.js'
import { WORKLOADS } from './workloads.js'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'small-get' },
    concurrency: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '25' },
    target: { type: 'string', default: 'uproxy' },
  },
})
const workload = WORKLOADS.find((w) => w.name === values.workload)
if (workload === undefined) throw new Error(`--workload: unknown ${values.workload}`)
const concurrency = Number(values.concurrency)
if (!['uproxy', 'uproxy-inspect', 'uproxy-edge', 'node-http'].includes(values.target)) throw new Error('--target: uproxy, uproxy-inspect, uproxy-edge or node-http')

compileParties()
const dir = mkdtempSync(join(tmpdir(), 'uproxy-prof-'))
const backend = await startBackend({ cpus: null, nodeFlags: [] })
const uproxy = await startTarget(values.target as TargetName, backend, { cpus: null, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] })
try {
  // Warm up, then the profiled stretch is dominated by steady-state code.
  await runCell(uproxy, workload, concurrency, { client: 'raw', timeMs: 2000, warmupMs: 100, backend })
  const r = await runCell(uproxy, workload, concurrency, { client: 'raw', timeMs: Number(values.seconds) * 1000, warmupMs: 100, backend })
  console.log(`${workload.name} c=${concurrency}: ${r.rps.toFixed(0)} req/s, ${r.cpu_us_per_req.toFixed(1)} µs CPU/req ` +
    `(${r.cpu_sys_pct.toFixed(0)} % in the kernel), p99 ${r.p99_ms.toFixed(2)} ms`)
} finally {
  await uproxy.stop() // SIGTERM: the party exits normally, and node writes the profile
  await backend.stop()
}

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
if (file === undefined) throw new Error(`no .cpuprofile written in ${dir}`)
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
const byArea = new Map<string, number>()
let total = 0
let idle = 0
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)!
  const dt = profile.timeDeltas[i] ?? 0
  const { functionName, url, lineNumber } = node.callFrame
  total += dt
  if (functionName === '(idle)') { idle += dt; continue }
  const where = url === '' ? '' : ` ${relative(REPO_ROOT, url.replace(/^file:\/\//, ''))}:${lineNumber + 1}`
  const key = `${functionName || '(anonymous)'}${where}`
  self.set(key, (self.get(key) ?? 0) + dt)
  const area = url === '' ? (functionName.startsWith('(') ? functionName : 'native (uWS addon, Node bindings, V8 builtins)')
    : /node_modules\/undici\//.test(url) ? 'undici'
      : /\/dist\//.test(url) ? 'uproxy dist/'
        : url.startsWith('node:') ? 'node: core' : 'other JS'
  byArea.set(area, (byArea.get(area) ?? 0) + dt)
}
const busy = total - idle
console.log(`profile ${join(dir, file)}: ${(total / 1e6).toFixed(1)} s sampled, idle ${(100 * idle / total).toFixed(1)} %`)
console.log('self time by area, % of non-idle:')
for (const [area, us] of [...byArea].sort((a, b) => b[1] - a[1])) console.log(`${(100 * us / busy).toFixed(1).padStart(6)} %  ${area}`)
console.log('self time by function, % of non-idle:')
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
  console.log(`${(100 * us / busy).toFixed(1).padStart(6)} %  ${name}`)
}
