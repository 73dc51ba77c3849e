// The request fuzz suite: many raw cases at once through a uproxy child to the recording origin, then every invariant.
import http from 'node:http'
import { sendCase, type Outcome } from './raw-exchange.js'
import { startRecordingOrigin, type RecordingOrigin } from './recording-origin.js'
import { describeBytes, parseToken, type RequestCase } from './request-case.js'
import { generateCase } from './request-generators.js'
import { checkCase, recordsOf, type Invariant } from './request-invariants.js'
import { startProxyChild, type Exit, type ProxyChild } from './proxy-child.js'

/** What to run. */
export interface RequestFuzzOptions {
  seed: number
  /** cases start..start+count-1, unless `cases` lists the indexes */
  count: number
  start?: number
  cases?: number[]
  /** only cases of this generator (each index still gives its own case) */
  only?: string
  /** generators whose cases are skipped */
  skip?: string[]
  /** cases in flight at once (default 48) */
  concurrency?: number
  /** crashes whose culprit is searched for by replay (default 6) */
  maxBisects?: number
  /** a health request after every this many cases (default 100) */
  healthEvery?: number
  /** progress lines */
  log?: (line: string) => void
}

/** One broken invariant, with what is needed to replay it. */
export interface Failure {
  invariant: Invariant
  detail: string
  /** the case, when one is to blame */
  index?: number
  generator?: string
  variant?: string
  bytes?: string
}

export interface RequestFuzzReport {
  seed: number
  cases: number
  elapsedMs: number
  crashes: number
  failures: Failure[]
  /** cases per generator */
  generators: Map<string, number>
  /** how the client side ended: '200o', '400p', 'no response', … */
  answers: Map<string, number>
}

/** Cases finished this close to a crash are suspects too: the crash may come a little after the bytes that caused it. */
const CRASH_WINDOW_MS = 300

/** Runs the suite against a fresh origin and proxy child; both are stopped before it returns. */
export async function runRequestFuzz(opts: RequestFuzzOptions): Promise<RequestFuzzReport> {
  const log = opts.log ?? (() => {})
  const startedAt = Date.now()
  const origin = await startRecordingOrigin()
  const host = new ProxyHost(origin.url)
  await host.start()
  const failures: Failure[] = []
  const outcomes = new Map<number, Outcome>()
  const generators = new Map<string, number>()
  const inFlight = new Set<number>()
  const finishedAt = new Map<number, number>()
  const crashes: { exit: Exit; suspects: number[] }[] = []
  const crashedCases = new Set<number>()
  host.onCrash = (exit) => {
    const now = Date.now()
    const suspects = [...inFlight, ...[...finishedAt].filter(([, at]) => now - at < CRASH_WINDOW_MS).map(([i]) => i)]
    for (const i of suspects) crashedCases.add(i)
    crashes.push({ exit, suspects })
    log(`proxy exited (${exit.code ?? exit.signal}) with ${suspects.length} suspect cases; restarting`)
  }
  const start = opts.start ?? 0
  const indexes = opts.cases ?? Array.from({ length: opts.count }, (_, i) => start + i)
  const healthEvery = opts.healthEvery ?? 100
  let next = 0
  let done = 0
  let healthChecks = 0
  const worker = async () => {
    while (next < indexes.length) {
      const index = indexes[next++] as number
      const c = generateCase(opts.seed, index, opts.only)
      if (opts.skip?.includes(c.generator)) continue
      generators.set(c.generator, (generators.get(c.generator) ?? 0) + 1)
      const proxy = await host.ready()
      inFlight.add(index)
      const outcome = await sendCase(proxy.port, c, (responses) => dueAnswers(c, origin, responses))
      inFlight.delete(index)
      finishedAt.set(index, Date.now())
      if (proxy.isDown()) crashedCases.add(index)
      outcomes.set(index, outcome)
      if (++done % healthEvery === 0) {
        const failure = await checkHealth(host, ++healthChecks)
        if (failure) failures.push(failure)
        log(`${done}/${indexes.length} cases, ${crashes.length} crashes, ${failures.length} health failures, ${Math.round((Date.now() - startedAt) / 1000)} s`)
        pruneFinished(finishedAt)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 48, indexes.length) }, worker))
  const last = await checkHealth(host, ++healthChecks)
  if (last) failures.push(last)
  await waitQuiet(origin)

  const answers = new Map<string, number>()
  for (const [index, outcome] of outcomes) {
    const c = generateCase(opts.seed, index, opts.only)
    const key = outcome.responses.map((r) => `${r.status}${r.origin ? 'o' : 'p'}`).join(',') || 'no response'
    answers.set(key, (answers.get(key) ?? 0) + 1)
    for (const v of checkCase(c, outcome, recordsOf(c, origin.received), crashedCases.has(index))) failures.push(blame(c, v.invariant, v.detail))
  }
  for (const r of origin.received.get('') ?? []) {
    failures.push({ invariant: 'smuggled', detail: `a request without a case token reached the origin: ${r.method} ${JSON.stringify(r.url.slice(0, 200))}` })
  }
  for (const e of origin.parseErrors) {
    const found = parseToken(e.bytes)
    const detail = `the origin's parser said ${e.code} on ${e.bytes}`
    failures.push(found ? blame(generateCase(opts.seed, found[0], opts.only), 'origin-parse-error', detail) : { invariant: 'origin-parse-error', detail })
  }
  const maxBisects = opts.maxBisects ?? 6
  for (const [n, crash] of crashes.entries()) {
    const culprits = n < maxBisects ? await findCulprits(host, opts.seed, opts.only, crash.suspects, namedIn(crash.exit.stderr)) : []
    const how = `exit ${crash.exit.code ?? crash.exit.signal}; stderr ends: ${crash.exit.stderr.trim().split('\n').slice(-12).join('\n')}`
    if (culprits.length === 0) {
      failures.push({ invariant: 'proxy-crash', detail: `${how}\nnot reproduced by replaying alone${n < maxBisects ? '' : ' (not replayed)'} the suspect cases ${crash.suspects.join(',')}` })
    }
    for (const index of culprits) failures.push(blame(generateCase(opts.seed, index, opts.only), 'proxy-crash', `${how}\nreplayed alone, this case crashes the proxy`))
  }
  await host.stop()
  await origin.close()
  return { seed: opts.seed, cases: done, elapsedMs: Date.now() - startedAt, crashes: crashes.length, failures, generators, answers }
}

/** A failure naming its case, with the bytes to replay it. */
function blame(c: RequestCase, invariant: Invariant, detail: string): Failure {
  return { invariant, detail, index: c.index, generator: c.generator, variant: c.variant, bytes: describeBytes(c) }
}

/** At the deadline: does the origin hold a request of this case that no response has answered yet? */
function dueAnswers(c: RequestCase, origin: RecordingOrigin, responses: Outcome['responses']): boolean {
  if (!c.complete || c.route !== 'echo') return false
  const answered = new Set(responses.map((r) => r.origin))
  return recordsOf(c, origin.received).some((r) => !r.token.endsWith('_s') && !answered.has(r.token))
}

/** Waits (bounded) until the origin has no request left in progress: late forwards are recorded before the checks. */
async function waitQuiet(origin: RecordingOrigin, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (origin.open() > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20))
}

function pruneFinished(finishedAt: Map<number, number>): void {
  const now = Date.now()
  for (const [index, at] of finishedAt) if (now - at > CRASH_WINDOW_MS) finishedAt.delete(index)
}

/** GET /health-N through the proxy: want 200 and the body `health-N`. A crash is reported by the exit, not here. */
async function checkHealth(host: ProxyHost, n: number): Promise<Failure | undefined> {
  const proxy = await host.ready()
  const got = await new Promise<string>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: proxy.port, path: `/health-${n}`, agent: false, timeout: 10_000 }, (res) => {
      let body = ''
      res.setEncoding('latin1').on('data', (s: string) => (body += s))
      res.on('end', () => resolve(`${res.statusCode} ${body}`))
      res.on('error', (err) => resolve(`error ${err.message}`))
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')))
    req.on('error', (err) => resolve(`error ${err.message}`))
  })
  if (got === `200 health-${n}`) return undefined
  // a refused connection may come before the exit event of a crash: give the exit a moment to arrive
  await Promise.race([proxy.exited, new Promise((resolve) => setTimeout(resolve, 2000))])
  if (proxy.isDown()) return undefined
  return { invariant: 'proxy-down', detail: `GET /health-${n}: got ${JSON.stringify(got.slice(0, 200))}, want "200 health-${n}"` }
}

/** The case indexes named in the proxy's last stderr lines (its error log names each failed exchange's target). */
function namedIn(stderr: string): number[] {
  const named = new Set<number>()
  for (const line of stderr.split('\n').slice(-20)) {
    const found = parseToken(line)
    if (found) named.add(found[0])
  }
  return [...named].reverse()
}

/** Tries of a single suspect: a crash that depends on timing may need more than one. */
const SINGLE_TRIES = 3
/** A suspect sending this many bytes is replayed alone first. */
const LARGE_UPLOAD = 1024 * 1024

function caseBytes(c: RequestCase): number {
  return c.parts.reduce<number>((sum, part) => sum + (typeof part === 'number' ? part : part.length), 0)
}

/**
 * Finds the cases that crash the proxy on their own: first the cases the proxy's last log
 * lines name, each alone; then the suspects together, halving the groups that crash it.
 */
async function findCulprits(host: ProxyHost, seed: number, only: string | undefined, suspects: number[], named: number[]): Promise<number[]> {
  // a crash in body handling needs a body: the suspects that upload most go first
  const uploads = suspects.map((i) => [i, caseBytes(generateCase(seed, i, only))] as const)
    .filter(([, bytes]) => bytes >= LARGE_UPLOAD).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([i]) => i)
  for (const index of [...named.filter((i) => suspects.includes(i)), ...uploads]) {
    for (let i = 0; i < SINGLE_TRIES; i++) if (await crashes(host, seed, only, [index])) return [index]
  }
  return bisect(host, seed, only, suspects)
}

async function bisect(host: ProxyHost, seed: number, only: string | undefined, suspects: number[]): Promise<number[]> {
  if (suspects.length === 0 || !await crashes(host, seed, only, suspects)) return []
  if (suspects.length === 1) return suspects
  const half = Math.ceil(suspects.length / 2)
  return [...await bisect(host, seed, only, suspects.slice(0, half)), ...await bisect(host, seed, only, suspects.slice(half))]
}

/** Replays `cases` at once on the live proxy: did it exit (within a second after the last one ended)? */
async function crashes(host: ProxyHost, seed: number, only: string | undefined, cases: number[]): Promise<boolean> {
  const proxy = await host.ready()
  await Promise.all(cases.map((i) => sendCase(proxy.port, generateCase(seed, i, only))))
  return Promise.race([proxy.exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(proxy.isDown()), 1000))])
}

/** Keeps one proxy child running: restarts it after a crash and tells `onCrash`. */
class ProxyHost {
  onCrash: (exit: Exit) => void = () => {}
  private current: Promise<ProxyChild> | undefined
  private stopping = false

  constructor(private readonly backend: string) {}

  start(): Promise<ProxyChild> {
    const starting = startProxyChild(this.backend)
    this.current = starting
    void starting.then((proxy) => proxy.exited.then((exit) => {
      if (this.stopping) return
      this.onCrash(exit)
      this.start()
    }), () => {})
    return starting
  }

  ready(): Promise<ProxyChild> {
    return this.current ?? this.start()
  }

  async stop(): Promise<void> {
    this.stopping = true
    await (await this.current)?.kill()
  }
}

/** A report as text: totals, then every failure with its seed, case and bytes. */
export function formatReport(report: RequestFuzzReport): string {
  const lines = [
    `request fuzz: seed ${report.seed}, ${report.cases} cases in ${(report.elapsedMs / 1000).toFixed(1)} s, ${report.crashes} proxy crashes, ${report.failures.length} failures`,
    `generators: ${[...report.generators].sort().map(([name, n]) => `${name} ${n}`).join(', ')}`,
    `answers (o: from the origin, p: from the proxy): ${[...report.answers].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ]
  const byKind = new Map<string, Failure[]>()
  for (const f of report.failures) {
    const key = `${f.invariant} | ${f.generator ?? '-'} | ${f.variant ?? '-'}`
    byKind.set(key, [...(byKind.get(key) ?? []), f])
  }
  for (const [key, list] of byKind) {
    const f = list[0] as Failure
    lines.push('', `FAIL ${key}: ${list.length} case(s)${f.index === undefined ? '' : `, e.g. --seed ${report.seed} --case ${f.index}`}`, `  ${f.detail.replace(/\n/g, '\n  ')}`)
    if (f.bytes) lines.push(`  bytes: ${f.bytes}`)
  }
  return lines.join('\n')
}
