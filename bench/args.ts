// `npm run bench -- [options]` → a validated run plan.
import { parseArgs } from 'node:util'
import type { ClientKind } from './load-clients.js'
import { TARGET_NAMES, type TargetName } from './targets.js'
import { WORKLOADS, type Workload } from './workloads.js'
import { findWrk } from './wrk-cell.js'

export const USAGE = `usage: npm run bench -- [options]
  --quick               one short round (under a minute) instead of the full run
  --nginx               also measure nginx (1 worker, upstream keep-alive) when it is installed
  --h2                  instead: uproxy to a TLS node:http2 backend, HTTP/2 (uproxy-h2) vs HTTP/1.1 keep-alive (uproxy-h1)
  --rounds N            rounds over the whole matrix, targets interleaved (default 5; quick 1)
  --time MS             timed run per cell (default 700; quick 300)
  --warmup MS           tinybench warmup per cell, 0 for none (default 200; quick 0)
  --workloads LIST      comma list of small-get,1mib-get,1mib-post,stream,cached-get,text-gzip (default all;
                        the last two run on uproxy and uproxy-edge only)
  --concurrency LIST    comma list of connection counts (default 1,32,256)
  --targets LIST        comma list of direct,node-http,uproxy,uproxy-inspect,uproxy-edge,nginx,uproxy-h1,uproxy-h2,uproxy-w2,uproxy-wauto
                        (default direct,node-http,uproxy,uproxy-inspect,uproxy-edge,uproxy-w2; with --h2 uproxy-h1,uproxy-h2)
  --client raw|undici|wrk
                        load generator (default raw, this process, driven by tinybench; wrk: the C load
                        generator when installed, ~5 µs of CPU per small request against raw's ~8, GET
                        workloads only, --time rounded to whole seconds)
  --pin none|split      taskset layout: split = load generator + backend on CPU 0, proxy on CPU 1 (default none)
  --node-flag FLAG      extra flag for every node party, repeatable (e.g. --max-semi-space-size=64)
  --out FILE            where to write the JSON (default bench/results.json)
  -h, --help`

export type PinLayout = 'none' | 'split'

export interface Plan {
  quick: boolean
  rounds: number
  timeMs: number
  warmupMs: number
  workloads: Workload[]
  concurrency: number[]
  targets: TargetName[]
  client: ClientKind
  pin: PinLayout
  nodeFlags: string[]
  out: string | null
}

export class UsageError extends Error {}

export function parsePlan (argv: string[]): Plan | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      nginx: { type: 'boolean', default: false },
      h2: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      time: { type: 'string' },
      warmup: { type: 'string' },
      workloads: { type: 'string' },
      concurrency: { type: 'string' },
      targets: { type: 'string' },
      client: { type: 'string', default: 'raw' },
      pin: { type: 'string', default: 'none' },
      'node-flag': { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) return 'help'
  const quick = values.quick
  const workloads = list(values.workloads, WORKLOADS.map((w) => w.name)).map((name) => {
    const w = WORKLOADS.find((x) => x.name === name)
    if (w === undefined) throw new UsageError(`--workloads: unknown workload ${name}`)
    return w
  })
  const concurrency = list(values.concurrency, ['1', '32', '256']).map((s) => positive('--concurrency', s))
  const defaultTargets = values.h2 ? ['uproxy-h1', 'uproxy-h2'] : ['direct', 'node-http', 'uproxy', 'uproxy-inspect', 'uproxy-edge', 'uproxy-w2', ...(values.nginx ? ['nginx'] : [])]
  const targets = list(values.targets, defaultTargets).map((name) => {
    if (!(TARGET_NAMES as readonly string[]).includes(name)) throw new UsageError(`--targets: unknown target ${name}`)
    return name as TargetName
  })
  if (values.client !== 'raw' && values.client !== 'undici' && values.client !== 'wrk') throw new UsageError(`--client: want raw, undici or wrk, got ${values.client}`)
  if (values.client === 'wrk') {
    if (findWrk() === null) throw new UsageError('--client wrk: wrk is not installed (apt-get install wrk)')
    const posts = workloads.filter((w) => w.body !== null).map((w) => w.name)
    if (posts.length > 0) throw new UsageError(`--client wrk: GET workloads only; leave out ${posts.join(', ')} (--workloads)`)
  }
  if (values.pin !== 'none' && values.pin !== 'split') throw new UsageError(`--pin: want none or split, got ${values.pin}`)
  return {
    quick,
    rounds: positive('--rounds', values.rounds ?? (quick ? '1' : '5')),
    timeMs: positive('--time', values.time ?? (quick ? '300' : '700')),
    warmupMs: positive('--warmup', values.warmup ?? (quick ? '0' : '200'), 0),
    workloads,
    concurrency,
    targets,
    client: values.client,
    pin: values.pin,
    nodeFlags: values['node-flag'],
    out: values.out ?? null,
  }
}

function list (value: string | undefined, fallback: string[]): string[] {
  return value === undefined ? fallback : value.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

function positive (flag: string, s: string, min = 1): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: want an integer ≥ ${min}, got ${s}`)
  return n
}
