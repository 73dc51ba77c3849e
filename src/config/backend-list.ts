// Several backends for one route: 'http://a:1*3,http://b:2' or an array → backends with their weights.
import { parseBackend, type Backend } from './backend-url.js'
import { ConfigError } from './config-error.js'

/** nginx caps weights at 1000 too; larger ones only make the round-robin cycle long. */
const MAX_WEIGHT = 1000

/**
 * Parses a backend list: a comma-separated string or an array of strings, each a backend URL
 * with an optional `*WEIGHT` suffix. `what` names the argument in the error message;
 * `parse` turns one URL into a Backend (default parseBackend).
 */
export function parseBackendList(value: unknown, what: string,
  parse: (text: string, what: string) => Backend = parseBackend): readonly Backend[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined
  if (items === undefined) throw new ConfigError(`${what}: want a string, got ${JSON.stringify(value)} (a URL, URLs split by commas, or an array)`)
  if (items.length === 0) throw new ConfigError(`${what}: the list of backends is empty`)
  const seen = new Set<string>()
  return Object.freeze(items.map((item, i) => {
    const at = Array.isArray(value) ? `${what}[${i}]` : what
    if (typeof item !== 'string') throw new ConfigError(`${at}: want a string, got ${JSON.stringify(item)}`)
    const { url, weight } = splitWeight(item.trim(), at)
    const backend = parse(url, at)
    // one backend twice would be two members of a group sharing one health record: say *N instead
    if (seen.has(backend.url)) throw new ConfigError(`${at}: "${backend.url}" is listed twice (give it a weight: URL*2)`)
    seen.add(backend.url)
    return Object.freeze({ ...backend, weight })
  }))
}

/** 'URL*3' → URL and 3; 'URL' → URL and 1. */
function splitWeight(text: string, what: string): { url: string; weight: number } {
  if (text === '') throw new ConfigError(`${what}: an empty backend in the list (a stray comma?)`)
  const star = text.lastIndexOf('*')
  if (star < 0) return { url: text, weight: 1 }
  const digits = text.slice(star + 1)
  const weight = Number(digits)
  if (!/^\d+$/.test(digits) || weight < 1 || weight > MAX_WEIGHT) {
    throw new ConfigError(`${what}: weight "${digits}" of "${text}" is not a whole number 1-${MAX_WEIGHT}`)
  }
  return { url: text.slice(0, star), weight }
}
