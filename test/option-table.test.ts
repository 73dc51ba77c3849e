// The option table: each option is one flag, one --help entry and one API key; each kind is checked one way.
import t from 'tap'
import { parseCliArgs } from '../src/cli/cli-args.js'
import { USAGE } from '../src/cli/usage.js'
import { toConfig, type ProxyOptions } from '../src/config/config.js'
import type { OptionKind } from '../src/config/option-kind.js'
import { CLI_FLAGS, OPTION_GROUPS, OPTIONS, type OptionKey, type OptionSpec } from '../src/config/option-table.js'

const keys = Object.keys(OPTIONS) as OptionKey[]
const spec = (key: OptionKey) => OPTIONS[key] as OptionSpec<OptionKind<unknown>>

/** The message of what `run` throws, or '' when it does not throw. */
function thrown(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    return (err as Error).message
  }
  return ''
}

t.test('every long and short flag is used once', async (t) => {
  for (const [what, names] of [
    ['long flag', [...keys.map((key) => spec(key).flag), ...CLI_FLAGS.map((f) => f.flag)]],
    ['short flag', [...keys.map((key) => spec(key).short), ...CLI_FLAGS.map((f) => f.short)].filter((s) => s !== undefined)],
  ] as const) {
    const twice = names.filter((name, i) => names.indexOf(name) !== i)
    t.same(twice, [], `got ${JSON.stringify(twice)} used twice as a ${what}, want none`)
  }
})

t.test('every option is a flag of the command line and a key toConfig knows', async (t) => {
  for (const key of keys) {
    const { flag, short, kind } = spec(key)
    const forms = short === undefined ? [`--${flag}`] : [`--${flag}`, `-${short}`]
    for (const form of forms) {
      if (kind.syntax.takes === 'nothing') {
        t.same(parseCliArgs([form]).options, { [key]: true }, `${form}: want { ${key}: true }`)
      } else {
        t.equal(thrown(() => parseCliArgs([form])).split(' (')[0], `option --${flag} needs a value`, `${form}: want a flag that takes a value`)
      }
    }
    t.doesNotThrow(() => toConfig({ [key]: undefined }), `${key}: want an option toConfig knows`)
  }
  t.equal(thrown(() => toConfig({ timeouts: 5 } as ProxyOptions)), 'unknown option "timeouts"')
})

t.test('--help lists every option under its group, with its value, default and help; no line over 100 columns', async (t) => {
  const lines = USAGE.split('\n')
  t.same(lines.filter((line) => line.length > 100), [], 'want no line longer than 100')
  const headings = OPTION_GROUPS.map((group) => lines.indexOf(`${group}:`))
  t.same(headings.filter((at, i) => at < 0 || (i > 0 && at < (headings[i - 1] as number))), [], 'want every group heading, in order')
  for (const key of keys) {
    const { flag, short, kind, help, group } = spec(key)
    const metavar = kind.syntax.takes === 'nothing' ? '' : ` ${kind.syntax.metavar}`
    const at = lines.findIndex((line) => line.startsWith(`  ${short === undefined ? '    ' : `-${short}, `}--${flag}${metavar}`))
    const g = OPTION_GROUPS.indexOf(group)
    t.ok(at > (headings[g] as number) && (g === OPTION_GROUPS.length - 1 || at < (headings[g + 1] as number)),
      `--${flag}${metavar}: got line ${at}, want it under "${group}:" (line ${headings[g]})`)
    // the entry: its flag line and the indented lines under it
    const next = lines.findIndex((line, i) => i > at && !line.startsWith(' '.repeat(28)))
    const text = lines.slice(at, next).join(' ').replace(/\s+/g, ' ')
    t.ok(text.includes(help), `--${flag}: got ${JSON.stringify(text)}, want its help`)
    const notes = /\(([^()]*)\)$/.exec(text)?.[1]?.split('; ') ?? []
    const value = spec(key).default
    const want = [
      ...(kind.syntax.takes === 'many' ? ['repeatable'] : []),
      ...(kind.note === undefined ? [] : [kind.note]),
      ...(value === undefined || kind.syntax.takes === 'nothing' ? [] : [`default ${String(value)}`]),
    ]
    if (want.length > 0) t.same(notes, want, `--${flag}: got notes ${JSON.stringify(notes)}, want ${JSON.stringify(want)}`)
  }
  for (const { flag } of CLI_FLAGS) t.match(USAGE, `--${flag}`, `want --${flag} in --help`)
})

/** The options of one kind, by the type docs/options.md gives it. */
const ofType = (type: RegExp) => keys.filter((key) => type.test(spec(key).kind.type))

t.test('every duration, count and switch is checked one way, on the command line as in the API, named as written', async (t) => {
  t.same(ofType(/seconds/), ['timeout', 'readTimeout', 'grace', 'failWindow', 'failTimeout', 'healthInterval'], 'the durations')
  t.same(ofType(/whole number/), ['maxFails', 'retries', 'rateLimitBurst', 'inspectBuffer'], 'the counts')
  const bad: Array<[type: RegExp, api: unknown, flag: string, rest: RegExp]> = [
    [/seconds/, -1, '-1', /^: "-1" is not a (positive|non-negative) number of seconds$/],
    [/seconds/, 'soon', 'soon', /^: "soon" is not a (positive|non-negative) number of seconds$/],
    [/whole number/, 1.5, '1.5', /^: "1\.5" is not a whole number \d or more$/],
    [/whole number/, 'two', 'two', /^: "two" is not a whole number \d or more$/],
  ]
  for (const [type, api, text, rest] of bad) {
    for (const key of ofType(type)) {
      const flag = `--${spec(key).flag}`
      const fromApi = thrown(() => toConfig({ [key]: api }))
      const fromFlag = thrown(() => parseCliArgs([`${flag}=${text}`]))
      t.match(fromApi.slice(key.length), rest, `${key}: ${JSON.stringify(api)}: got ${JSON.stringify(fromApi)}`)
      t.ok(fromApi.startsWith(key), `${key}: want the API name first, got ${JSON.stringify(fromApi)}`)
      t.equal(fromFlag, `${flag}${fromApi.slice(key.length)}`, `${flag}=${text}: want the API's message with the flag's name`)
    }
  }
  for (const key of ofType(/^boolean$/)) {
    t.equal(thrown(() => toConfig({ [key]: 'yes' })), `${key}: want true or false, got "yes"`)
  }
  t.same(parseCliArgs(['--timeout', '2.5', '--retries', '0', '--max-fails', ' 3']).options, { timeout: 2.5, retries: 0, maxFails: 3 })
  t.equal(thrown(() => parseCliArgs(['--retries', '0x10'])), '--retries: "0x10" is not a whole number 0 or more', 'decimal digits only')
})
