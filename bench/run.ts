// `npm run bench`: start every party, check their bytes, time the matrix with targets interleaved, report.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parsePlan, USAGE, UsageError, type Plan } from './args.js'
import { compileParties, REPO_ROOT } from './compile.js'
import { runCell } from './load.js'
import { aggregate, formatRatioLines, formatTable, median, ratios, type Sample } from './report.js'
import { findNginx, startBackend, startH2Backend, startTarget, TLS_TARGETS, UPROXY_CLI, type Party, type SpawnOptions, type TargetName } from './targets.js'
import { verifyBackendProtocol, verifyBodies } from './verify.js'
import type { Workload } from './workloads.js'

const WARMUP_CONCURRENCY = 32

/** The edge workloads compare uproxy-edge (--cache --compress) with plain uproxy; uproxy-edge runs nothing else. */
function runsOn (target: string, workload: Workload): boolean {
  return workload.edge ? target === 'uproxy' || target === 'uproxy-edge' : target !== 'uproxy-edge'
}

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

/** CPU sets per party for each --pin layout; the load generator is this process. */
const LAYOUTS = {
  none: { load: null, backend: null, proxy: null },
  split: { load: '0', backend: '0', proxy: '1' },
} as const

async function main (): Promise<void> {
  let plan: Plan | 'help'
  try {
    plan = parsePlan(process.argv.slice(2))
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      log(`bench: ${(err as Error).message}\n${USAGE}`)
      process.exit(2)
    }
    throw err
  }
  if (plan === 'help') { console.log(USAGE); return }

  const started = Date.now()
  const targets = plan.targets.filter((t) => {
    if (t.startsWith('uproxy') && !existsSync(UPROXY_CLI)) { log(`bench: skipping uproxy: ${UPROXY_CLI} not found (run npm run build)`); return false }
    if (t === 'nginx' && findNginx() === null) { log('bench: skipping nginx: not installed'); return false }
    return true
  })
  const layout = LAYOUTS[plan.pin]
  if (layout.load !== null) execFileSync('taskset', ['-a', '-p', '-c', layout.load, String(process.pid)], { stdio: 'ignore' })
  const spawnFor = (cpus: string | null): SpawnOptions => ({ cpus, nodeFlags: plan.nodeFlags })

  compileParties()
  const parties: Party[] = []
  const stopAll = async (): Promise<void> => { await Promise.all(parties.map((p) => p.stop())) }
  process.once('SIGINT', () => { void stopAll().then(() => process.exit(130)) })

  try {
    // The uWS origin for direct, node-http, uproxy and nginx; the TLS node:http2 origin for uproxy-h1/-h2 (--h2).
    const isTls = (name: string): boolean => (TLS_TARGETS as readonly string[]).includes(name)
    let uwsBackend: Party | null = null
    let tlsBackend: Party | null = null
    if (targets.some((t) => !isTls(t))) {
      uwsBackend = await startBackend(spawnFor(layout.backend))
      parties.push(uwsBackend)
      log(`bench: backend ${uwsBackend.url.origin} (pid ${uwsBackend.pid})`)
    }
    if (targets.some(isTls)) {
      tlsBackend = await startH2Backend(spawnFor(layout.backend))
      parties.push(tlsBackend)
      log(`bench: h2-backend ${tlsBackend.url.origin} (pid ${tlsBackend.pid}, node:http2 over TLS, allowHTTP1)`)
    }
    const backendOf = (name: string): Party => (isTls(name) ? tlsBackend : uwsBackend)!
    const running: Party[] = []
    const start = async (name: TargetName): Promise<Party> => {
      const backend = backendOf(name)
      const p = await startTarget(name, backend, spawnFor(layout.proxy))
      if (p.pid !== backend.pid) parties.push(p)
      log(`bench: ${name} ${p.url.origin} (pid ${p.pid})`)
      return p
    }
    for (const name of targets) running.push(await start(name))
    let restarts = 0
    /**
     * One cell, retried once. The machine is shared: if a party died (its exit is logged above,
     * with its stderr), start it again, warm it up and say so; a second failure ends the run.
     */
    const measure = async (i: number, workload: Workload, concurrency: number) => {
      const backend = backendOf(running[i]!.name)
      const cell = { client: plan.client, timeMs: plan.timeMs, warmupMs: plan.warmupMs, backend }
      try {
        return await runCell(running[i]!, workload, concurrency, cell)
      } catch (err) {
        const target = running[i]!
        log(`bench: ${workload.name} c=${concurrency} ${target.name} failed: ${(err as Error).message}; retrying once`)
        if (!backend.alive()) throw new Error('the backend died; see its output above')
        if (!target.alive()) {
          restarts++
          log(`bench: restarting ${target.name} (restart ${restarts}); the figures note it`)
          running[i] = await start(target.name as TargetName)
          await runCell(running[i]!, workload, WARMUP_CONCURRENCY, { ...cell, timeMs: 1000 })
        }
        return await runCell(running[i]!, workload, concurrency, cell)
      }
    }

    for (const p of running) await verifyBodies(p, plan.workloads.filter((w) => runsOn(p.name, w)))
    for (const p of running) if (isTls(p.name)) await verifyBackendProtocol(p, p.name === 'uproxy-h2' ? '2.0' : '1.1')
    log(`bench: bodies byte-identical through ${running.map((p) => p.name).join(', ')} for ${plan.workloads.map((w) => w.name).join(', ')}`)

    // JIT warm-up for every party (and this load generator): the first second of a fresh node process
    // runs slower code, which without this pass made round 1 read 20–30 % low for every target.
    for (const target of running) {
      for (const workload of plan.workloads.filter((w) => runsOn(target.name, w))) {
        await runCell(target, workload, WARMUP_CONCURRENCY, { client: plan.client, timeMs: plan.quick ? 300 : 1000, warmupMs: 50, backend: backendOf(target.name) })
      }
      log(`bench: warmed up ${target.name}`)
    }

    const samples: Sample[] = []
    const cellsPerRound = plan.workloads.reduce((n, w) => n + running.filter((p) => runsOn(p.name, w)).length, 0) * plan.concurrency.length
    let cellIndex = 0
    for (let round = 0; round < plan.rounds; round++) {
      for (const workload of plan.workloads) {
        for (const concurrency of plan.concurrency) {
          // Rotate the order each time so that no target always runs first (or right after the same one).
          for (let k = 0; k < running.length; k++) {
            const i = (k + round + cellIndex) % running.length
            const target = running[i]!
            if (!runsOn(target.name, workload)) continue
            const r = await measure(i, workload, concurrency)
            samples.push({ ...r, workload: workload.name, concurrency, target: target.name as TargetName, round })
            log(`round ${round + 1}/${plan.rounds} ${workload.name} c=${concurrency} ${target.name}: ` +
              `${r.rps.toFixed(0)} req/s, p99 ${r.p99_ms.toFixed(2)} ms, ${r.cpu_us_per_req.toFixed(1)} µs CPU/req, ` +
              `RSS ${r.rss_mb.toFixed(0)} MB (load ${r.load_cpu_us_per_req.toFixed(1)} µs/req, others ${Math.max(0, r.other_cpu_pct).toFixed(0)} % CPU)`)
          }
          cellIndex++
        }
      }
      log(`bench: round ${round + 1} done (${cellsPerRound} cells), ${((Date.now() - started) / 1000).toFixed(0)} s so far`)
    }
    await stopAll()

    const rows = aggregate(samples)
    const rs = [...ratios(samples, 'uproxy', 'node-http'), ...ratios(samples, 'uproxy', 'direct'), ...ratios(samples, 'nginx', 'node-http'),
      ...ratios(samples, 'uproxy-inspect', 'uproxy'), ...ratios(samples, 'uproxy-edge', 'uproxy'), ...ratios(samples, 'uproxy-h2', 'uproxy-h1'), ...ratios(samples, 'uproxy-w2', 'uproxy'), ...ratios(samples, 'uproxy-wauto', 'uproxy')]
    const out = plan.out ?? join(REPO_ROOT, 'bench', 'results.json')
    writeFileSync(out, JSON.stringify(rows, null, 2) + '\n')

    console.log(machineLine(plan))
    console.log('')
    console.log(formatTable(rows))
    console.log('')
    console.log(rs.some((r) => r.of === 'uproxy-h2')
      ? 'ratios (median of per-round ratios, min–max in brackets; CPU/req below 1× means the first named spends less):'
      : 'ratios (median of per-round ratios, min–max in brackets; CPU/req below 1× means uproxy spends less):')
    for (const line of formatRatioLines(rs, plan.workloads.map((w) => w.name))) console.log(line)
    const others = samples.map((x) => Math.max(0, x.other_cpu_pct))
    console.log(`other load on the machine during the timed runs: median ${median(others).toFixed(0)} %, max ${Math.max(...others).toFixed(0)} % of all CPUs` +
      ' (figures taken while other work ran are noisier; rerun when it is quieter)')
    if (restarts > 0) console.log(`note: ${restarts} party restart(s) during the run; see the progress log`)
    log(`bench: wrote ${out}; ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
  } finally {
    await stopAll()
  }
}

function machineLine (plan: Plan): string {
  const model = cpus()[0]?.model ?? 'unknown CPU'
  let nproc = String(cpus().length)
  try { nproc = execFileSync('nproc', { encoding: 'utf8' }).trim() } catch {}
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version
  // dist/ is built from the working tree: say which commit, and whether src/ had local changes.
  let revision = ''
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== ''
    revision = ` (${head}${dirty ? ', src/ modified' : ''})`
  } catch {}
  return `uproxy ${version}${revision} · node ${process.version} · nproc ${nproc} · ${model} · ` +
    `${plan.rounds} round(s) × ${plan.timeMs} ms per cell · client ${plan.client} · pin ${plan.pin}` +
    (plan.nodeFlags.length > 0 ? ` · node flags ${plan.nodeFlags.join(' ')}` : '')
}

main().catch((err: unknown) => {
  log(`bench: ${err instanceof Error ? err.message : String(err)}`)
  process.exitCode = 1
})
