// argv → what the user asked for (node:util parseArgs); bad arguments become ConfigError.
import { parseArgs } from 'node:util'
import type { AccessLogFormat } from '../exchange/access-log-format.js'
import { ConfigError } from '../config/config-error.js'
import { parseListen, type PolicyName, type ProxyOptions, type RouteOption, type SniOption } from '../config/config.js'

/** The command line, understood. `options` holds only what the flags set. */
export interface CliArgs {
  help: boolean
  version: boolean
  configFile: string | undefined
  options: ProxyOptions
}

const FLAGS = {
  backend: { type: 'string', short: 'b' },
  listen: { type: 'string', short: 'l', multiple: true },
  route: { type: 'string', short: 'r', multiple: true },
  rewrite: { type: 'boolean' },
  'preserve-host': { type: 'boolean' },
  timeout: { type: 'string' },
  'read-timeout': { type: 'string' },
  grace: { type: 'string' },
  ca: { type: 'string', multiple: true },
  insecure: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'access-log': { type: 'string' },
  'access-log-format': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-passphrase': { type: 'string' },
  sni: { type: 'string', multiple: true },
  'redirect-http': { type: 'boolean' },
  'backend-h2': { type: 'boolean' },
  balance: { type: 'string' },
  vhost: { type: 'string', multiple: true },
  'max-fails': { type: 'string' },
  'fail-window': { type: 'string' },
  'fail-timeout': { type: 'string' },
  'health-path': { type: 'string' },
  'health-interval': { type: 'string' },
  retries: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

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
  const options: ProxyOptions = {}
  const backend = positionals[0] ?? values.backend
  if (backend !== undefined) options.backend = backend
  if (values.listen?.length === 1) options.listen = parseListen(values.listen[0] as string, '--listen')
  else if (values.listen) options.listen = values.listen.map((text) => parseListen(text, '--listen'))
  if (values.route) options.routes = values.route.map(parseRoute)
  if (values.rewrite) options.rewrite = true
  if (values['preserve-host']) options.preserveHost = true
  if (values.timeout !== undefined) options.timeout = parseSeconds(values.timeout, '--timeout')
  if (values['read-timeout'] !== undefined) options.readTimeout = parseSeconds(values['read-timeout'], '--read-timeout')
  if (values.grace !== undefined) options.grace = parseSeconds(values.grace, '--grace')
  if (values.ca) options.ca = values.ca
  if (values.insecure) options.insecure = true
  if (values.quiet) options.quiet = true
  if (values['access-log'] !== undefined) options.accessLog = values['access-log']
  // the format name is checked by toConfig, which names the option
  if (values['access-log-format'] !== undefined) options.accessLogFormat = values['access-log-format'] as AccessLogFormat
  if (values['tls-cert'] !== undefined) options.tlsCert = values['tls-cert']
  if (values['tls-key'] !== undefined) options.tlsKey = values['tls-key']
  if (values['tls-passphrase'] !== undefined) options.tlsPassphrase = values['tls-passphrase']
  if (values.sni) options.sni = Object.fromEntries(values.sni.map(parseSni))
  if (values['redirect-http']) options.redirectHttp = true
  if (values['backend-h2']) options.backendH2 = true
  // policy names, paths and ranges are checked by toConfig, which names the option
  if (values.balance !== undefined) options.balance = values.balance as PolicyName
  if (values.vhost) options.vhosts = parseVhosts(values.vhost)
  if (values['max-fails'] !== undefined) options.maxFails = parseCount(values['max-fails'], '--max-fails')
  if (values['fail-window'] !== undefined) options.failWindow = parseSeconds(values['fail-window'], '--fail-window')
  if (values['fail-timeout'] !== undefined) options.failTimeout = parseSeconds(values['fail-timeout'], '--fail-timeout')
  if (values['health-path'] !== undefined) options.healthPath = values['health-path']
  if (values['health-interval'] !== undefined) options.healthInterval = parseSeconds(values['health-interval'], '--health-interval')
  if (values.retries !== undefined) options.retries = parseCount(values.retries, '--retries')
  return { help: values.help ?? false, version: values.version ?? false, configFile: values.config, options }
}

/** 'PREFIX=URL' → a route option. */
function parseRoute(text: string): RouteOption {
  const at = text.indexOf('=')
  if (at <= 0 || at === text.length - 1) throw new ConfigError(`--route: "${text}" is not PREFIX=URL`)
  return { prefix: text.slice(0, at), backend: text.slice(at + 1) }
}

/** 'HOST=URL[,URL…]', repeatable → { host: 'URL[,URL…]' }. */
function parseVhosts(texts: string[]): Record<string, string> {
  const vhosts: Record<string, string> = {}
  for (const text of texts) {
    const at = text.indexOf('=')
    if (at <= 0 || at === text.length - 1) throw new ConfigError(`--vhost: "${text}" is not HOST=URL[,URL…]`)
    const host = text.slice(0, at).toLowerCase()
    if (Object.hasOwn(vhosts, host)) throw new ConfigError(`--vhost: host "${host}" is given twice`)
    vhosts[host] = text.slice(at + 1)
  }
  return vhosts
}

/** 'HOST=CERT,KEY' → [host, { cert, key }]. */
function parseSni(text: string): [string, SniOption] {
  const match = /^([^=]+)=([^,]+),(.+)$/.exec(text)
  if (!match) throw new ConfigError(`--sni: "${text}" is not HOST=CERT_FILE,KEY_FILE`)
  return [match[1] as string, { cert: match[2] as string, key: match[3] as string }]
}

function parseSeconds(text: string, what: string): number {
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new ConfigError(`${what}: "${text}" is not a number of seconds`)
  return value
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${what}: "${text}" is not a whole number`)
  return Number(text)
}

/** parseArgs' messages run long; keep the part that names the argument. */
function parseArgsMessage(err: Error): string {
  const code = (err as { code?: string }).code
  const name = /'([^']+)'/.exec(err.message)?.[1] ?? ''
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${name} (see uproxy --help)`
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    // name is '-l, --listen <value>' or '--quiet': say the long form, and what is wrong with its value
    const long = /--[\w-]+/.exec(name)?.[0] ?? name
    const flag = (FLAGS as Record<string, { type: string }>)[long.slice(2)]
    if (flag?.type === 'boolean') return `option ${long} takes no value (see uproxy --help)`
    return `option ${long} needs a value (a value starting with - goes as ${long}=VALUE; see uproxy --help)`
  }
  return err.message.split('\n')[0] as string
}
