// CLI: compare uproxy's C2 response parser with Node's llhttp on generated responses (--seed S --count N).
import { parseArgs } from 'node:util'
import { runResponseDifferential } from './response-differential.js'

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
  },
})
const seed = Number(values.seed)
const count = Number(values.count)
const concurrency = Number(values.concurrency)
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: run-response-differential.ts [--seed S] [--count N] [--concurrency C]: integers, N and C at least 1')
  process.exit(2)
}
const started = performance.now()
const report = await runResponseDifferential(seed, count, concurrency)
for (const line of report.mismatches) console.log(line)
console.log(`seed ${seed}: ${report.count} responses, uproxy accepted ${report.acceptedByUs}, llhttp ${report.acceptedByLlhttp}, ` +
  `${report.mismatches.length} mismatches, ${Math.round(performance.now() - started)} ms`)
process.exit(report.mismatches.length === 0 ? 0 : 1)
