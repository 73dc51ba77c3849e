// `npm run soak -- [--minutes N]`: uproxy as a child under a mixed load; RSS and fds sampled; a flat-or-not verdict.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { seededRandom } from '../test/helpers/seeded-random.js'
import { memory } from './proc-stats.js'
import { runLoad, type LoadTally } from './soak-load.js'
import { startSoakOrigin } from './soak-origin.js'

const USAGE = `usage: npm run soak -- [options]
  --minutes N       how long the load runs (default 2; 0.5 for a quick check)
  --clients N       concurrent keep-alive clients (default 24)
  --seed N          seed of the action and size choices (default 1)
  --interval S      seconds between samples (default 10)
  -h, --help
Exits 1 when the verdict is not flat, a body hash differs, or the proxy died.`

/** After this share of the run the proxy is warm: its JIT, pools and heap have settled. */
const WARM_SHARE = 0.25
/** Flat: RSS at the end within this factor (plus RSS_SLACK_MB) of the warm sample. */
const RSS_FACTOR = 1.25
const RSS_SLACK_MB = 16
/** Flat: open fds at rest, after the load, within this many of those before it. */
const FD_SLACK = 4

interface Sample { seconds: number; rssMb: number; fds: number; requests: number; errors: number; mismatches: number }

const ROOT = fileURLToPath(new URL('..', import.meta.url))

async function main (): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      minutes: { type: 'string', default: '2' },
      clients: { type: 'string', default: '24' },
      seed: { type: 'string', default: '1' },
      interval: { type: 'string', default: '10' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const minutes = Number(values.minutes)
  const clients = Number(values.clients)
  const intervalMs = Number(values.interval) * 1000
  if (!(minutes > 0) || !Number.isInteger(clients) || clients < 1 || !(intervalMs > 0)) {
    process.stderr.write(`soak: bad option values\n${USAGE}\n`)
    return 2
  }
  const origin = await startSoakOrigin()
  const proxy = await startProxy(origin.url)
  process.stderr.write(`soak: uproxy pid ${proxy.pid} (${proxy.how}) on ${proxy.url}, ${clients} clients, ${minutes} min\n`)
  const tally: LoadTally = { requests: 0, errors: 0, mismatches: 0, examples: [] }
  const startedAt = Date.now()
  const samples: Sample[] = []
  const sample = (): void => {
    const s = { seconds: Math.round((Date.now() - startedAt) / 1000), rssMb: memory(proxy.pid).rssMb, fds: openFds(proxy.pid),
      requests: tally.requests, errors: tally.errors, mismatches: tally.mismatches }
    samples.push(s)
    process.stderr.write(`${row(s)}\n`)
  }
  const fdsBefore = openFds(proxy.pid)
  sample()
  const sampler = setInterval(sample, intervalMs)
  let died = ''
  void proxy.exited.then((how) => (died = how))
  await runLoad(proxy.url, clients, startedAt + minutes * 60_000, seededRandom(Number(values.seed)), tally)
  clearInterval(sampler)
  sample()
  // the clients closed their keep-alive connections: wait (bounded) for the proxy to close its side
  const restUntil = Date.now() + 5000
  while (openFds(proxy.pid) > fdsBefore + FD_SLACK && Date.now() < restUntil) await new Promise((resolve) => setTimeout(resolve, 100))
  const fdsAtRest = openFds(proxy.pid)
  proxy.kill()
  await origin.close()

  const warm = samples.find((s) => s.seconds >= minutes * 60 * WARM_SHARE) ?? samples[0]!
  const end = samples.at(-1)!
  const rssFlat = end.rssMb <= warm.rssMb * RSS_FACTOR + RSS_SLACK_MB
  const fdsFlat = fdsAtRest <= fdsBefore + FD_SLACK
  const lines = [
    '',
    '| time (s) | RSS (MiB) | open fds | requests | errors | hash mismatches |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...samples.map((s) => `| ${s.seconds} | ${s.rssMb.toFixed(1)} | ${s.fds} | ${s.requests} | ${s.errors} | ${s.mismatches} |`),
    '',
    `fds before the load ${fdsBefore}, at rest after it ${fdsAtRest}: ${fdsFlat ? 'flat' : 'NOT flat'} (want ≤ ${fdsBefore + FD_SLACK})`,
    `RSS after warm-up (${warm.seconds} s) ${warm.rssMb.toFixed(1)} MiB, at the end ${end.rssMb.toFixed(1)} MiB: ${rssFlat ? 'flat' : 'NOT flat'} (want ≤ ${(warm.rssMb * RSS_FACTOR + RSS_SLACK_MB).toFixed(1)})`,
    `${end.requests} exchanges, ${end.errors} errors, ${end.mismatches} hash mismatches${died ? `; the proxy DIED: ${died}` : ''}`,
    ...tally.examples.map((e) => `  error: ${e}`),
  ]
  const ok = rssFlat && fdsFlat && end.mismatches === 0 && end.errors === 0 && !died
  lines.push(`verdict: ${ok ? 'FLAT, no errors' : 'NOT OK'}`)
  process.stdout.write(`${lines.join('\n')}\n`)
  return ok ? 0 : 1
}

function row (s: Sample): string {
  return `${String(s.seconds).padStart(5)} s  RSS ${s.rssMb.toFixed(1).padStart(7)} MiB  fds ${String(s.fds).padStart(4)}  requests ${s.requests}  errors ${s.errors}  mismatches ${s.mismatches}`
}

/** Open file descriptors of a process (/proc/PID/fd); 0 once it is gone. */
function openFds (pid: number): number {
  try { return readdirSync(`/proc/${pid}/fd`).length } catch { return 0 }
}


/** The built CLI when dist/ is newer than every src file, else src/cli.ts through tsx. */
function cliCommand (): { args: string[]; how: string } {
  const dist = `${ROOT}dist/cli.js`
  const newestSrc = Math.max(...readdirSync(`${ROOT}src`).map((f) => statSync(`${ROOT}src/${f}`).mtimeMs))
  if (existsSync(dist) && statSync(dist).mtimeMs >= newestSrc) return { args: [dist], how: 'dist/cli.js' }
  return { args: ['--import', 'tsx', `${ROOT}src/cli.ts`], how: 'src/cli.ts through tsx (dist/ is missing or older than src/)' }
}

/** Starts uproxy in front of `backend` and waits (bounded) for its ready line. */
function startProxy (backend: string): Promise<{ pid: number; url: string; how: string; exited: Promise<string>; kill (): void }> {
  const { args, how } = cliCommand()
  const child = spawn(process.execPath, [...args, backend, '--listen', '127.0.0.1:0', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4096)))
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(`exit ${code ?? signal}; stderr: ${stderr.trim()}`)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`uproxy printed no ready line within 20 s; stderr: ${stderr}`)), 20_000)
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s
      const match = /^uproxy listening on (http\S+)$/m.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      resolve({ pid: child.pid!, url: match[1]!, how, exited, kill: () => child.kill('SIGKILL') })
    })
    void exited.then((how) => { clearTimeout(timer); reject(new Error(`uproxy ${how}`)) })
  })
}

main().then((code) => { process.exitCode = code }, (err: Error) => {
  process.stderr.write(`soak: ${err.message}\n`)
  process.exitCode = 2
})
