// docs/options.md is written from the option table by `npm run docs:options`, never by hand.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { OPTIONS_DOC, renderOptionsDoc } from './scripts/options-doc.js'
import { CLI_FLAGS, OPTIONS } from '../src/config/option-table.js'

t.test('docs/options.md is what the option table writes', async (t) => {
  const want = renderOptionsDoc().split('\n')
  const got = readFileSync(OPTIONS_DOC, 'utf8').split('\n')
  const at = want.findIndex((line, i) => got[i] !== line)
  const stale = at >= 0 || got.length !== want.length
  const line = at >= 0 ? at : Math.min(got.length, want.length)
  t.notOk(stale, stale
    ? `docs/options.md line ${line + 1}: got ${JSON.stringify(got[line])}, want ${JSON.stringify(want[line])}; run \`npm run docs:options\` and commit docs/options.md`
    : 'docs/options.md is up to date')
})

t.test('the document has a row for every option and every flag of the command line', async (t) => {
  const doc = renderOptionsDoc()
  for (const [key, { flag }] of Object.entries(OPTIONS)) {
    t.match(doc, new RegExp(`^\\| \`${key}\` \\|[^\\n]*\`--${flag}\\b`, 'm'), `want a row for ${key}, naming --${flag}`)
  }
  for (const { flag } of CLI_FLAGS) t.match(doc, new RegExp(`^\\|[^\\n]*\`--${flag}\\b[^\\n]*\\|`, 'm'), `want a row for --${flag}`)
})
