// uproxy's C2 response parser against Node's llhttp on 10,000 generated responses: same verdict, same message.
import t from 'tap'
import { generateResponseCase } from './fuzz/response-generators.js'
import { parseWithUproxy, runResponseDifferential, STRICTER_THAN_LLHTTP } from './fuzz/response-differential.js'

const SEED = 20261203
const COUNT = 10_000

t.test(`${COUNT} generated responses (seed ${SEED}): the same verdict and message as llhttp, or the documented stricter one`, async (t) => {
  const report = await runResponseDifferential(SEED, COUNT, 32)
  t.same(report.mismatches.slice(0, 20), [], `got ${report.mismatches.length} mismatches, want none`)
  // a generator that produced only garbage (or only clean responses) would agree trivially
  t.ok(report.acceptedByLlhttp > COUNT * 0.2, `llhttp accepted ${report.acceptedByLlhttp}: want over 20 % valid cases`)
  t.ok(report.acceptedByLlhttp < COUNT * 0.8, `llhttp accepted ${report.acceptedByLlhttp}: want over 20 % broken cases`)
})

t.test('every documented difference is exercised: uproxy rejects a case llhttp accepts', async (t) => {
  for (const { tag } of STRICTER_THAN_LLHTTP) {
    let seen = 0
    for (let i = 0; i < COUNT && seen === 0; i++) {
      const c = generateResponseCase(SEED, i)
      if (c.tags.includes(tag) && c.tags.length === 1 && !parseWithUproxy(c).accepted) seen++
    }
    t.ok(seen > 0, `tag ${tag}: got no case carrying only it, want at least one`)
  }
})

t.test('the generator is deterministic and splits reads', async (t) => {
  const a = generateResponseCase(SEED, 42)
  const b = generateResponseCase(SEED, 42)
  t.ok(a.bytes.equals(b.bytes) && JSON.stringify(a.splits) === JSON.stringify(b.splits), 'same seed and index: got different cases, want the same')
  let split = 0
  for (let i = 0; i < 200; i++) if (generateResponseCase(SEED, i).splits.length > 0) split++
  t.ok(split > 100, `got ${split} of 200 cases split across reads, want most`)
})
