// Kinds of option values: what a flag's text means, and the one check of each kind (seconds, counts, switches…).
import { ConfigError } from './config-error.js'

/**
 * How an error names options `K`: the option table's OptionNamer fits any `K`. Spelled here, in
 * the table's leaf, so that files the table imports can name options without importing it.
 */
export type NameOption<K extends string> = (key: K, path?: string) => string

/** How an error names the option being checked; `path` points inside it: '[0]', '.balance'. */
export type NameAt = (path?: string) => string

/** What follows an option's flag on the command line, and what it becomes in the API. */
export type FlagSyntax<V> =
  | { readonly takes: 'nothing'; readonly parse: () => V }
  | { readonly takes: 'one'; readonly metavar: string; readonly parse: (text: string, flag: string) => V }
  | { readonly takes: 'many'; readonly metavar: string; readonly parse: (texts: string[], flag: string) => V }

/** The kind of an option whose API value is a V. */
export interface OptionKind<V> {
  /** what the type column of docs/options.md says */
  readonly type: string
  /** said after the help, before the default: '0: no limit' */
  readonly note?: string
  readonly syntax: FlagSyntax<V>
}

/** A kind checked on its own: `check` turns the API value (or the default) into what ProxyConfig holds. */
export interface CheckedKind<V, C> extends OptionKind<V> {
  /** throws ConfigError naming the option through `at` */
  check(value: unknown, at: NameAt): C
}

/**
 * Seconds: a number in the API, a decimal on the command line; checked into milliseconds.
 * `zero` says what 0 means for this option, or undefined when 0 is refused.
 */
export function seconds(zero?: string): CheckedKind<number, number> {
  const check = (value: unknown, at: NameAt): number => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (value === 0 && zero === undefined)) {
      throw new ConfigError(`${at()}: ${shown(value)} is not a ${zero === undefined ? 'positive' : 'non-negative'} number of seconds`)
    }
    return Math.round(value * 1000)
  }
  return {
    type: 'number (seconds)',
    ...(zero === undefined ? {} : { note: `0: ${zero}` }),
    syntax: { takes: 'one', metavar: 'SECONDS', parse: (text, flag) => checkedNumber(text, flag, check) },
    check,
  }
}

/** A whole number `min` or more. */
export function count(min: number): CheckedKind<number, number> {
  const check = (value: unknown, at: NameAt): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      throw new ConfigError(`${at()}: ${shown(value)} is not a whole number ${min} or more`)
    }
    return value
  }
  return { type: `whole number, ${min} or more`, syntax: { takes: 'one', metavar: 'N', parse: (text, flag) => checkedNumber(text, flag, check) }, check }
}

/** A number of processes: a whole number 1 or more, or 'auto' for the CPUs Node reports; checked into the number. */
export function processCount(cpus: () => number): CheckedKind<number | 'auto', number> {
  const check = (value: unknown, at: NameAt): number => {
    if (value === 'auto') return cpus()
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(`${at()}: ${shown(value)} is not a number of processes (1 or more) nor "auto"`)
    }
    return value
  }
  return {
    type: 'number of processes (1 or more) or "auto"',
    note: 'auto: one per CPU',
    syntax: { takes: 'one', metavar: 'N', parse: (text, flag) => (text === 'auto' ? 'auto' : checkedNumber(text, flag, check)) },
    check,
  }
}

/** On or off: a switch on the command line. */
export function toggle(): CheckedKind<boolean, boolean> {
  return {
    type: 'boolean',
    syntax: { takes: 'nothing', parse: () => true },
    check: (value, at) => {
      if (typeof value === 'boolean') return value
      throw new ConfigError(`${at()}: want true or false, got ${JSON.stringify(value)}`)
    },
  }
}

/** A string, such as a file name; undefined when absent. */
export function text(metavar: string): CheckedKind<string, string | undefined> {
  return {
    type: 'string',
    syntax: { takes: 'one', metavar, parse: (value) => value },
    check: (value, at) => {
      if (value === undefined || typeof value === 'string') return value
      throw new ConfigError(`${at()}: want a string, got ${JSON.stringify(value)}`)
    },
  }
}

/** A URL path such as '/healthz'; undefined when absent. */
export function urlPath(): CheckedKind<string, string | undefined> {
  const check = (value: unknown, at: NameAt): string | undefined => {
    if (value === undefined || (typeof value === 'string' && value.startsWith('/') && !/[#\s]/.test(value))) return value
    throw new ConfigError(`${at()}: ${JSON.stringify(value)} is not a path starting with /`)
  }
  return { type: 'string (a path starting with /)', syntax: { takes: 'one', metavar: 'PATH', parse: (value, flag) => check(value, () => flag) as string }, check }
}

/** One name of `names`, checked by `parse` (which names the option in its error). */
export function choice<N extends string>(metavar: string, names: readonly N[], parse: (value: unknown, what: string) => N): CheckedKind<N, N> {
  return {
    type: names.map((name) => `"${name}"`).join(' | '),
    syntax: { takes: 'one', metavar, parse: (value, flag) => parse(value, flag) },
    check: (value, at) => parse(value, at()),
  }
}

/** Files: one name or an array in the API, the flag repeated on the command line; undefined when absent. */
export function fileList(): CheckedKind<string | string[], readonly string[] | undefined> {
  return {
    type: 'string | string[]',
    syntax: { takes: 'many', metavar: 'FILE', parse: (texts) => texts },
    check: (value, at) => {
      if (value === undefined) return undefined
      if (typeof value === 'string') return [value]
      if (!Array.isArray(value)) throw new ConfigError(`${at()}: want a file name or an array of them, got ${JSON.stringify(value)}`)
      return value.map((file: unknown, i) => {
        if (typeof file !== 'string') throw new ConfigError(`${at(`[${i}]`)}: want a string, got ${JSON.stringify(file)}`)
        return file
      })
    },
  }
}

/** A flag's decimal text → the number, checked as the API value is; other text is shown as written ("soon", "0x10"). */
function checkedNumber(text: string, flag: string, check: (value: unknown, at: NameAt) => unknown): number {
  const value = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : NaN
  check(Number.isFinite(value) ? value : text, () => flag)
  return value
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 }

/**
 * A size in bytes: a whole number in the API, or text with a unit as nginx writes sizes ('64MB',
 * '512k', '1024'; K, M and G are powers of 1024). `min` is the least it may be; undefined when absent.
 */
export function byteSize(min: number): CheckedKind<number | string, number | undefined> {
  const check = (value: unknown, at: NameAt): number | undefined => {
    if (value === undefined) return undefined
    const match = typeof value === 'string' ? /^\s*(\d+)\s*([kmg]?b?)\s*$/i.exec(value) : null
    const bytes = typeof value === 'number' ? value : match ? Number(match[1]) * (BYTE_UNITS[(match[2] as string).toLowerCase()] as number) : NaN
    if (!Number.isSafeInteger(bytes) || bytes < min) {
      throw new ConfigError(`${at()}: ${shown(value)} is not a size of ${min} bytes or more (write 1024, 512k, 64MB or 1G)`)
    }
    return bytes
  }
  return {
    type: 'number (bytes) | string ("64MB", "512k")',
    syntax: { takes: 'one', metavar: 'SIZE', parse: (value, flag) => (check(value, () => flag), value) },
    check,
  }
}

/** A request rate: `points` requests per `seconds`. */
export interface Rate {
  readonly points: number
  readonly seconds: number
}

/** A rate as nginx's limit_req writes it: '10/s' or '600/m' (r/s, r/m also read); undefined when absent. */
export function rate(): CheckedKind<string, Rate | undefined> {
  const check = (value: unknown, at: NameAt): Rate | undefined => {
    if (value === undefined) return undefined
    const match = typeof value === 'string' ? /^\s*(\d+)\s*r?\/\s*([sm])\s*$/i.exec(value) : null
    const points = match ? Number(match[1]) : 0
    if (!match || !Number.isSafeInteger(points) || points < 1) {
      throw new ConfigError(`${at()}: ${JSON.stringify(value)} is not a rate such as 10/s or 600/m`)
    }
    return Object.freeze({ points, seconds: (match[2] as string).toLowerCase() === 'm' ? 60 : 1 })
  }
  return {
    type: 'string ("10/s", "600/m")',
    syntax: { takes: 'one', metavar: 'N/s|N/m', parse: (value, flag) => (check(value, () => flag), value) },
    check,
  }
}

/** A bad number as the error quotes it: "0", "Infinity", "soon". */
function shown(value: unknown): string {
  return typeof value === 'number' ? `"${value}"` : JSON.stringify(value)
}
