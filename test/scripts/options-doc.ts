// docs/options.md, written from the option table: `npm run docs:options` writes it, test/options-doc.test.ts compares.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { OptionKind } from '../../src/config/option-kind.js'
import { CLI_FLAGS, OPTION_GROUPS, OPTIONS, type OptionKey, type OptionSpec } from '../../src/config/option-table.js'

/** Where the document lives. */
export const OPTIONS_DOC = fileURLToPath(new URL('../../docs/options.md', import.meta.url))

/** The whole of docs/options.md. */
export function renderOptionsDoc(): string {
  const keys = Object.keys(OPTIONS) as OptionKey[]
  return [
    '# Options',
    '',
    '<!-- Written by `npm run docs:options` from src/config/option-table.ts: change the table, then run it. -->',
    '',
    'Every option has one name in the API (`startProxy({ … })`) and in a `--config` JSON file, and one flag',
    'on the command line; flags override the file. Durations are seconds, decimals allowed. An error names',
    'the option as it was written: `--route` on the command line, `routes[0]` in a config file or the API.',
    ...OPTION_GROUPS.flatMap((group) => [
      '',
      `## ${group}`,
      '',
      '| Option | Flag | Type | Default | Description |',
      '|---|---|---|---|---|',
      ...keys.filter((key) => OPTIONS[key].group === group).map(row),
    ]),
    '',
    '## Command line only',
    '',
    '| Flag | Description |',
    '|---|---|',
    '| `BACKEND` | the default backend, as `--backend` |',
    ...CLI_FLAGS.map(({ flag, short, metavar, help }) => `| ${flagCell(flag, short, metavar)} | ${escaped(help)} |`),
    '',
  ].join('\n')
}

/** One option's row of its group's table. */
function row(key: OptionKey): string {
  const { flag, short, kind, default: value, help } = OPTIONS[key] as OptionSpec<OptionKind<unknown>>
  const { syntax } = kind
  const flags = flagCell(flag, short, syntax.takes === 'nothing' ? undefined : syntax.metavar) + (syntax.takes === 'many' ? ', repeatable' : '')
  const description = kind.note === undefined ? help : `${help} (${kind.note})`
  const shownDefault = value === undefined ? '—' : `\`${JSON.stringify(value)}\``
  return `| \`${key}\` | ${flags} | \`${kind.type.replaceAll('|', '\\|')}\` | ${shownDefault} | ${escaped(description)} |`
}

/** '`-l`, `--listen HOST:PORT`'. */
function flagCell(flag: string, short: string | undefined, metavar: string | undefined): string {
  const long = `\`--${flag}${metavar === undefined ? '' : ` ${metavar}`}\``
  return short === undefined ? long : `\`-${short}\`, ${long}`
}

/** Help text as Markdown table text: `*` in 'URL*3' is no emphasis, `|` no column. */
function escaped(text: string): string {
  return text.replace(/[*_|<]/g, (c) => (c === '<' ? '&lt;' : `\\${c}`))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(OPTIONS_DOC, renderOptionsDoc())
  process.stdout.write(`wrote ${OPTIONS_DOC}\n`)
}
