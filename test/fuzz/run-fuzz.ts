// `npm run fuzz -- [options]`: runs a fuzz suite against uproxy and prints every failure with what replays it.
import { parseArgs } from 'node:util'
import { describeBytes } from './request-case.js'
import { generateCase, GENERATORS } from './request-generators.js'
import { formatReport, runRequestFuzz } from './request-suite.js'
import { runResponseDifferential } from './response-differential.js'

const USAGE = `usage: npm run fuzz -- [options]
  --suite NAME        which fuzz to run: request (raw requests through uproxy, the default) or
                      response (C2's response parser against Node's llhttp on generated responses)
  --seed N            the run's seed (default: from the clock, printed)
  --count N           cases to run (default 2000)
  --start N           first case index (default 0)
  --case LIST         replay only these case indexes (comma list), with --seed
  --only NAME         only cases of one generator
  --skip LIST         skip the cases of these generators (comma list)
  --concurrency N     cases in flight at once (default 48)
  --print             print the bytes of the cases (with --case) instead of sending them
  -h, --help
generators: ${GENERATORS.map((g) => g.name).join(', ')}
Exits 1 when an invariant fails.`

/** The suites `--suite` can name; each resolves to the process's exit code. */
const SUITES: Record<string, (values: Values) => Promise<number>> = {
  request: runRequestSuite,
  response: runResponseSuite,
}

type Values = ReturnType<typeof parse>['values']

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      suite: { type: 'string', default: 'request' },
      seed: { type: 'string' },
      count: { type: 'string', default: '2000' },
      start: { type: 'string', default: '0' },
      case: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      concurrency: { type: 'string', default: '48' },
      print: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
}

async function runRequestSuite(values: Values): Promise<number> {
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : integer('--seed', values.seed)
  const cases = values.case?.split(',').map((s) => integer('--case', s))
  if (values.only !== undefined && !GENERATORS.some((g) => g.name === values.only)) throw new Error(`--only: unknown generator ${values.only}`)
  if (values.print) {
    for (const index of cases ?? []) {
      const c = generateCase(seed, index, values.only)
      process.stdout.write(`case ${index} (${c.generator}: ${c.variant}, leave ${c.leave}, forwarding ${c.forwarding}): ${describeBytes(c, Infinity)}\n`)
    }
    return 0
  }
  process.stderr.write(`request fuzz: seed ${seed}\n`)
  const report = await runRequestFuzz({
    seed,
    count: integer('--count', values.count),
    start: integer('--start', values.start),
    ...(cases ? { cases } : {}),
    ...(values.only ? { only: values.only } : {}),
    ...(values.skip ? { skip: values.skip.split(',') } : {}),
    concurrency: integer('--concurrency', values.concurrency),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(`${formatReport(report)}\n`)
  return report.failures.length === 0 ? 0 : 1
}

async function runResponseSuite(values: Values): Promise<number> {
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : integer('--seed', values.seed)
  const started = performance.now()
  const report = await runResponseDifferential(seed, integer('--count', values.count), integer('--concurrency', values.concurrency))
  for (const line of report.mismatches) process.stdout.write(`${line}\n`)
  process.stdout.write(`response fuzz, seed ${seed}: ${report.count} responses, uproxy accepted ${report.acceptedByUs}, ` +
    `llhttp ${report.acceptedByLlhttp}, ${report.mismatches.length} mismatches, ${Math.round(performance.now() - started)} ms\n`)
  return report.mismatches.length === 0 ? 0 : 1
}

function integer(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: want an integer ≥ 0, got ${text}`)
  return n
}

async function main(): Promise<void> {
  let values: Values
  try {
    values = parse(process.argv.slice(2)).values
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message}\n${USAGE}\n`)
    return void (process.exitCode = 2)
  }
  if (values.help) return void process.stdout.write(`${USAGE}\n`)
  const suite = SUITES[values.suite]
  if (!suite) {
    process.stderr.write(`fuzz: --suite: want one of ${Object.keys(SUITES).join(', ')}, got ${values.suite}\n`)
    return void (process.exitCode = 2)
  }
  try {
    process.exitCode = await suite(values)
  } catch (err) {
    process.stderr.write(`fuzz: ${(err as Error).message}\n`)
    process.exitCode = 2
  }
}

void main()
