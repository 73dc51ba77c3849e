// --config FILE: a JSON object with the API's option names, under the command line's flags.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../config/config-error.js'
import type { ProxyOptions } from '../config/config.js'

/** Reads and parses a config file; structure is checked later by toConfig. */
export function readConfigFile(file: string): ProxyOptions {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`--config: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`--config: "${file}" is not valid JSON (${(err as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`--config: "${file}" must hold a JSON object`)
  }
  return parsed as ProxyOptions
}
