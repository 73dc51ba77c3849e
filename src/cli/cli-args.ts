// argv → what the user asked for (node:util parseArgs, its flags from the option table); bad arguments become ConfigError.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError } from '../config/config-error.js'
import type { FlagSyntax } from '../config/option-kind.js'
import { CLI_FLAGS, nameApiOption, OPTIONS, type OptionKey, type OptionNamer, type ProxyOptions } from '../config/option-table.js'

/** The command line, understood. `options` holds only what the flags set. */
export interface CliArgs {
  help: boolean
  version: boolean
  configFile: string | undefined
  options: ProxyOptions
  /** the backend was given as the BACKEND argument, not as --backend */
  backendArgument: boolean
}

const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[]

/** parseArgs' flags: every option's, then the command line's own. */
const FLAGS: NonNullable<ParseArgsConfig['options']> = Object.fromEntries([
  ...OPTION_KEYS.map((key) => {
    const { flag, short, kind } = OPTIONS[key]
    const type = kind.syntax.takes === 'nothing' ? 'boolean' as const : 'string' as const
    return [flag, { type, multiple: kind.syntax.takes === 'many', ...(short === undefined ? {} : { short }) }] as const
  }),
  ...CLI_FLAGS.map(({ flag, short, metavar }) =>
    [flag, { type: metavar === undefined ? 'boolean' as const : 'string' as const, ...(short === undefined ? {} : { short }) }] as const),
])

/** Parses uproxy's argv (without node and the script). Throws ConfigError naming the argument. */
export function parseCliArgs(argv: string[]): CliArgs {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new ConfigError(parseArgsMessage(err as Error))
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new ConfigError(`unexpected argument "${positionals[1]}" (one BACKEND at most)`)
  if (positionals.length === 1 && values.backend !== undefined) {
    throw new ConfigError(`backend given twice: "${positionals[0]}" and --backend ${values.backend}`)
  }
  const options: Record<string, unknown> = {}
  for (const key of OPTION_KEYS) {
    const { flag, kind } = OPTIONS[key]
    const value = values[flag]
    if (value !== undefined) options[key] = fromFlag(kind.syntax, value, `--${flag}`)
  }
  if (positionals.length === 1) options.backend = positionals[0]
  return {
    help: values.help === true,
    version: values.version === true,
    configFile: values.config as string | undefined,
    options: options as ProxyOptions,
    backendArgument: positionals.length === 1,
  }
}

/**
 * How errors name options when the command line and a --config file are merged: a key the
 * file set (and no flag overrode) by its API name, any other by its flag.
 */
export function nameCliOptions(args: CliArgs, fromFile: object): OptionNamer {
  return (key, path = '') => {
    if (Object.hasOwn(fromFile, key) && !Object.hasOwn(args.options, key)) return nameApiOption(key, path)
    if (key === 'backend' && args.backendArgument) return 'backend'
    // flags have no syntax for indexes or fields ('[0]', '.port'): the message quotes the value
    // instead; a named element (' "a.test"') still says which one
    return `--${OPTIONS[key].flag}${path.startsWith(' ') ? path : ''}`
  }
}

/** A flag's value as parseArgs gives it → the API value. */
function fromFlag(syntax: FlagSyntax<unknown>, value: string | boolean | (string | boolean)[], flag: string): unknown {
  switch (syntax.takes) {
    case 'nothing': return syntax.parse()
    case 'one': return syntax.parse(value as string, flag)
    case 'many': return syntax.parse(value as string[], flag)
  }
}

/** parseArgs' messages run long; keep the part that names the argument. */
function parseArgsMessage(err: Error): string {
  const code = (err as { code?: string }).code
  const name = /'([^']+)'/.exec(err.message)?.[1] ?? ''
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${name} (see uproxy --help)`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // name is '-l, --listen <value>' or '--quiet': say the long form, and what is wrong with its value
    const long = /--[\w-]+/.exec(name)?.[0] ?? name
    if (FLAGS[long.slice(2)]?.type === 'boolean') return `option ${long} takes no value (see uproxy --help)`
    return `option ${long} needs a value (a value starting with - goes as ${long}=VALUE; see uproxy --help)`
  }
  return err.message.split('\n')[0] as string
}
