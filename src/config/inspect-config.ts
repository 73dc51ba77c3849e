// The inspector's settings: where it listens, how many exchanges it keeps, whether it shows secrets.
import { ConfigError } from './config-error.js'
import { parseListen } from './listen-address.js'
import type { NameOption } from './option-kind.js'

/** The inspector as configured; undefined in ProxyConfig when it is off. */
export interface InspectConfig {
  readonly host: string
  readonly port: number
  /** the last this many exchanges are kept */
  readonly buffer: number
  /** show Authorization, Cookie and the like as sent instead of masked */
  readonly secrets: boolean
}

/** `inspect` is 'HOST:PORT' (or 'http://HOST:PORT'); undefined: the inspector is off. Throws ConfigError. */
export function toInspectConfig(inspect: string | undefined, buffer: number, secrets: boolean,
  name: NameOption<'inspect'>): InspectConfig | undefined {
  if (inspect === undefined) return undefined
  const { host, port, tls } = parseListen(inspect, name('inspect'))
  if (tls) throw new ConfigError(`${name('inspect')}: the inspector serves plain http://; write HOST:PORT`)
  return Object.freeze({ host, port, buffer, secrets })
}
