// The --help text, written from the option table.
import type { OptionKind } from '../config/option-kind.js'
import { CLI_FLAGS, OPTION_GROUPS, OPTIONS, type OptionKey, type OptionSpec } from '../config/option-table.js'

/** Where help starts, and where lines wrap (today's terminals are at least 100 wide). */
const HELP_COLUMN = 28
const WIDTH = 100

/** The whole --help text. */
export const USAGE = [
  'Usage: uproxy [BACKEND] [options]',
  '',
  'A reverse proxy: clients connect to uproxy (C1), uproxy forwards to BACKEND (C2).',
  '',
  ...entry('  BACKEND', 'the default backend, as --backend below'),
  ...OPTION_GROUPS.flatMap((group) => [
    '',
    `${group}:`,
    ...(Object.keys(OPTIONS) as OptionKey[]).filter((key) => OPTIONS[key].group === group).flatMap((key) => {
      const { flag, short, kind, help } = OPTIONS[key]
      const said = notes(key)
      return entry(flagColumn(flag, short, kind.syntax.takes === 'nothing' ? undefined : kind.syntax.metavar),
        said.length === 0 ? help : `${help} (${said.join('; ')})`)
    }),
  ]),
  '',
  'Command line:',
  ...CLI_FLAGS.flatMap(({ flag, short, metavar, help }) => entry(flagColumn(flag, short, metavar), help)),
  '',
].join('\n')

/** What the table says beside the help: ['repeatable', '0: no limit', 'default 60']. */
function notes(key: OptionKey): string[] {
  const { kind, default: value }: OptionSpec<OptionKind<unknown>> = OPTIONS[key]
  return [
    ...(kind.syntax.takes === 'many' ? ['repeatable'] : []),
    ...(kind.note === undefined ? [] : [kind.note]),
    // a switch is off unless given: its default goes without saying
    ...(value === undefined || kind.syntax.takes === 'nothing' ? [] : [`default ${String(value)}`]),
  ]
}

/** '  -l, --listen HOST:PORT' or '      --quiet'. */
function flagColumn(flag: string, short: string | undefined, metavar: string | undefined): string {
  return `  ${short === undefined ? '    ' : `-${short}, `}--${flag}${metavar === undefined ? '' : ` ${metavar}`}`
}

/** The flag column, then the help wrapped at WIDTH; a long flag column puts the help on the next line. */
function entry(left: string, help: string): string[] {
  const indent = ' '.repeat(HELP_COLUMN)
  const lines = left.length < HELP_COLUMN - 1 ? [] : [left]
  let line = lines.length === 0 ? left.padEnd(HELP_COLUMN) : indent
  for (const word of help.split(' ')) {
    if (line.length > HELP_COLUMN && line.length + 1 + word.length > WIDTH) {
      lines.push(line)
      line = indent
    }
    line += line.length > HELP_COLUMN ? ` ${word}` : word
  }
  return [...lines, line]
}
