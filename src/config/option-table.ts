// Every option, declared once: API name, flag, kind, default, help. Flags, --help, checks, types and docs/options.md come from here.
import { POLICY_NAMES, parsePolicyName } from '../balancing/policy.js'
import { ACCESS_LOG_FORMATS, parseAccessLogFormat } from '../exchange/access-log-format.js'
import { availableParallelism } from 'node:os'
import { byteSize, choice, count, rate, fileList, seconds, text, processCount, toggle, urlPath, type OptionKind } from './option-kind.js'
import { ConfigError } from './config-error.js'
import { BACKEND_LIST, LISTEN_ADDRESSES, ROUTE_LIST, SNI_LIST, VHOST_LIST } from './structured-kinds.js'

/** The sections of --help and docs/options.md, in order. */
export const OPTION_GROUPS = ['Listening and routing', 'Timeouts', 'TLS to backends', 'TLS to clients', 'Load balancing', 'Caching and compression', 'Rate limiting', 'Access log', 'Metrics', 'Inspector'] as const

/** The API value of a kind. */
export type KindValue<K> = K extends OptionKind<infer V> ? V : never

/** One option, of kind K. */
export interface OptionSpec<K extends OptionKind<unknown>> {
  /** the long flag, without its dashes */
  readonly flag: string
  /** the one-letter flag, without its dash */
  readonly short?: string
  readonly kind: K
  /** what an absent option means; undefined: absent means off, as the help says */
  readonly default?: KindValue<K>
  readonly group: (typeof OPTION_GROUPS)[number]
  /** one line, for --help and docs/options.md; the default and "repeatable" are added from the spec */
  readonly help: string
}

/** One entry of the table, checked against OptionSpec; its type kept exact (the kind, whether it has a default). */
const option = <K extends OptionKind<unknown>, S extends OptionSpec<K>>(spec: S & { readonly kind: K }): S & OptionSpec<K> => spec

/** Every option of startProxy(), the --config file and the command line, in the order --help lists them. */
export const OPTIONS = {
  backend: option({
    flag: 'backend', short: 'b', kind: BACKEND_LIST, default: 'http://info.cern.ch', group: 'Listening and routing',
    help: 'the default backend: a URL (http:// or https://; a bare host:port means http), or several, URL,URL…, '
      + 'each with an optional weight URL*3; the BACKEND argument is the same',
  }),
  listen: option({
    flag: 'listen', short: 'l', kind: LISTEN_ADDRESSES, default: '0.0.0.0:8000', group: 'Listening and routing',
    help: 'where to listen (port 0 picks a free one); write http://HOST:PORT or https://HOST:PORT to choose, '
      + 'else the last address is HTTPS when --tls-cert is given',
  }),
  routes: option({
    flag: 'route', short: 'r', kind: ROUTE_LIST, group: 'Listening and routing',
    help: 'a path route: the longest matching prefix wins (/api matches /api, /api/… and /api?…, never /apis); '
      + 'other paths go to the default backend',
  }),
  workers: option({
    flag: 'workers', kind: processCount(availableParallelism), default: 1, group: 'Listening and routing',
    help: 'serve with N worker processes, each with its own uWS app and backend pools, sharing the port (SO_REUSEPORT)',
  }),
  rewrite: option({ flag: 'rewrite', kind: toggle(), default: false, group: 'Listening and routing', help: 'strip the matched route prefix before forwarding' }),
  preserveHost: option({
    flag: 'preserve-host', kind: toggle(), default: false, group: 'Listening and routing', help: 'forward the client\'s Host instead of the backend\'s',
  }),
  timeout: option({
    flag: 'timeout', kind: seconds(), default: 60, group: 'Timeouts', help: 'wait this long for the backend\'s response headers, then answer 504',
  }),
  readTimeout: option({
    flag: 'read-timeout', kind: seconds('no limit'), default: 60, group: 'Timeouts',
    help: 'cut the response when the backend sends nothing for this long mid-body; raise it for SSE and long polls',
  }),
  grace: option({
    flag: 'grace', kind: seconds('cut at once'), default: 10, group: 'Timeouts', help: 'how long shutdown waits for in-flight exchanges',
  }),
  ca: option({
    flag: 'ca', kind: fileList(), group: 'TLS to backends', help: 'trust this PEM CA for https:// backends, beside the system CAs',
  }),
  insecure: option({
    flag: 'insecure', kind: toggle(), default: false, group: 'TLS to backends',
    help: 'do not verify https:// backends\' certificates (dangerous; logged as a warning)',
  }),
  backendH2: option({
    flag: 'backend-h2', kind: toggle(), default: false, group: 'TLS to backends',
    help: 'speak HTTP/2 to https:// backends (negotiated by ALPN, one multiplexed connection each)',
  }),
  tlsCert: option({ flag: 'tls-cert', kind: text('FILE'), group: 'TLS to clients', help: 'serve HTTPS to clients with this PEM certificate (chain)' }),
  tlsKey: option({ flag: 'tls-key', kind: text('FILE'), group: 'TLS to clients', help: 'the PEM private key of --tls-cert' }),
  tlsPassphrase: option({
    flag: 'tls-passphrase', kind: text('P'), group: 'TLS to clients',
    help: 'passphrase of an encrypted --tls-key (a --config file keeps it out of ps)',
  }),
  sni: option({
    flag: 'sni', kind: SNI_LIST, group: 'TLS to clients', help: 'another certificate for TLS server name HOST; other names get --tls-cert',
  }),
  redirectHttp: option({
    flag: 'redirect-http', kind: toggle(), default: false, group: 'TLS to clients', help: 'answer the http:// listener with 308 to the https:// one',
  }),
  balance: option({
    flag: 'balance', kind: choice('POLICY', POLICY_NAMES, parsePolicyName), default: 'round-robin', group: 'Load balancing',
    help: 'how to choose among several backends: round-robin, least-connections, ip-hash, two-random-choices',
  }),
  vhosts: option({
    flag: 'vhost', kind: VHOST_LIST, group: 'Load balancing',
    help: 'backends for requests whose Host is HOST (port ignored; *.example.com for its subdomains), '
      + 'chosen before path routes; other hosts get the default backend and routes',
  }),
  maxFails: option({
    flag: 'max-fails', kind: count(1), default: 1, group: 'Load balancing',
    help: 'failures within --fail-window that take a backend out for --fail-timeout',
  }),
  failWindow: option({ flag: 'fail-window', kind: seconds(), default: 10, group: 'Load balancing', help: 'the window --max-fails failures count in' }),
  failTimeout: option({ flag: 'fail-timeout', kind: seconds(), default: 10, group: 'Load balancing', help: 'how long a failed backend stays out' }),
  healthPath: option({
    flag: 'health-path', kind: urlPath(), group: 'Load balancing',
    help: 'probe PATH on every backend; 2xx/3xx is up, anything else down (default: no probes)',
  }),
  healthInterval: option({ flag: 'health-interval', kind: seconds(), default: 5, group: 'Load balancing', help: 'time between two probes of a backend' }),
  retries: option({
    flag: 'retries', kind: count(0), default: 1, group: 'Load balancing',
    help: 'other backends an exchange may go to when one fails before answering, for GET/HEAD/OPTIONS/PUT/DELETE without a body',
  }),
  cache: option({
    flag: 'cache', kind: byteSize(1), group: 'Caching and compression',
    help: 'a shared response cache of SIZE (64MB) by RFC 9111 for GET and HEAD, least recently used out first; '
      + 'answers say X-Cache: HIT, MISS, REVALIDATED or BYPASS (default: no cache)',
  }),
  cacheMaxObject: option({
    flag: 'cache-max-object', kind: byteSize(1), default: 8 * 1024 * 1024, group: 'Caching and compression',
    help: 'larger responses stream through uncached',
  }),
  cacheRedis: option({
    flag: 'cache-redis', kind: text('URL'), group: 'Caching and compression',
    help: 'keep the --cache entries in this Redis (redis://HOST:PORT), shared by every uproxy that uses it; Redis bounds its size',
  }),
  compress: option({
    flag: 'compress', kind: toggle(), default: false, group: 'Caching and compression',
    help: 'gzip or br text, JSON, JavaScript, XML and SVG responses for clients that accept it, flushed chunk by chunk',
  }),
  compressMin: option({
    flag: 'compress-min', kind: byteSize(0), default: 1024, group: 'Caching and compression',
    help: 'leave responses whose Content-Length is below this uncompressed',
  }),
  rateLimit: option({
    flag: 'rate-limit', kind: rate(), group: 'Rate limiting',
    help: 'requests per client address (N/s or N/m); over it: 429 with Retry-After, and RateLimit-* headers on every answer (default: no limit)',
  }),
  rateLimitBurst: option({
    flag: 'rate-limit-burst', kind: count(0), default: 0, group: 'Rate limiting',
    help: 'requests a client may send beyond --rate-limit at once, earned back at that rate (nginx\'s burst)',
  }),
  trustProxy: option({
    flag: 'trust-proxy', kind: toggle(), default: false, group: 'Rate limiting',
    help: 'the client is the last X-Forwarded-For address, not the socket\'s (only behind a proxy that sets it)',
  }),
  redis: option({
    flag: 'redis', kind: text('URL'), group: 'Rate limiting',
    help: 'keep the rate-limit counters in this Redis (redis://HOST:PORT), shared by every uproxy that uses it',
  }),
  rateLimitFail: option({
    flag: 'rate-limit-fail', kind: choice('MODE', ['open', 'closed'] as const, parseFailMode), default: 'open', group: 'Rate limiting',
    help: 'while Redis is away: open serves without a limit, closed answers 503',
  }),
  quiet: option({ flag: 'quiet', kind: toggle(), default: false, group: 'Access log', help: 'no access log (wins over --access-log)' }),
  accessLog: option({
    flag: 'access-log', kind: text('FILE'), group: 'Access log',
    help: 'append the access log to FILE instead of stdout; SIGUSR1 (or the API\'s reopenLogs()) opens it again',
  }),
  accessLogFormat: option({
    flag: 'access-log-format', kind: choice('FORMAT', ACCESS_LOG_FORMATS, parseAccessLogFormat), default: 'short', group: 'Access log',
    help: 'short (GET /path 200 12B 3.1ms BACKEND), combined (nginx\'s, plus upstream address and time) or json (one object a line)',
  }),
  inspect: option({
    flag: 'inspect', kind: text('HOST:PORT'), group: 'Inspector',
    help: 'serve the exchange inspector here (a live web page, /events, /har; port 0 picks a free one); '
      + 'keep it on 127.0.0.1: it shows every request',
  }),
  inspectBuffer: option({
    flag: 'inspect-buffer', kind: count(1), default: 1000, group: 'Inspector', help: 'how many of the last exchanges the inspector keeps',
  }),
  inspectSecrets: option({
    flag: 'inspect-secrets', kind: toggle(), default: false, group: 'Inspector',
    help: 'show Authorization, Proxy-Authorization, Cookie and Set-Cookie values in the inspector instead of masking them',
  }),
  metrics: option({
    flag: 'metrics', kind: text('HOST:PORT'), group: 'Metrics',
    help: 'serve Prometheus metrics at http://HOST:PORT/metrics, a listener of its own (default: none)',
  }),
}

/** What --rate-limit-fail reads: a name of the two, or a one-line ConfigError naming `what`. */
function parseFailMode(value: unknown, what: string): 'open' | 'closed' {
  if (value === 'open' || value === 'closed') return value
  throw new ConfigError(`${what}: ${JSON.stringify(value)} is not open or closed`)
}

/** The name of an option in the API and the --config file. */
export type OptionKey = keyof typeof OPTIONS

/** What a user may pass to startProxy() or put in a --config file, every field optional; docs/options.md describes each. */
export type ProxyOptions = { -readonly [K in OptionKey]?: KindValue<(typeof OPTIONS)[K]['kind']> }

/** A flag of the command line alone, not an option of the API. */
export interface CliFlag {
  readonly flag: string
  readonly short?: string
  /** what follows the flag; undefined: a switch */
  readonly metavar?: string
  readonly help: string
}

/** The command line's own flags, listed after the options. */
export const CLI_FLAGS: readonly CliFlag[] = [
  {
    flag: 'config', metavar: 'FILE',
    help: 'JSON file with the API\'s option names (flags override it); SIGHUP reads it again and swaps routes and backends in place',
  },
  { flag: 'help', short: 'h', help: 'print this and exit' },
  { flag: 'version', help: 'print the version and exit' },
]

/**
 * How an error names an option: `key` is its API name, `path` points inside it ('[0]', '["a.test"]',
 * '.balance'). The API and a --config file say 'routes[0]'; the command line says '--route'.
 */
export type OptionNamer = (key: OptionKey, path?: string) => string

/** The API's names: 'routes[0].balance'. */
export const nameApiOption: OptionNamer = (key, path = '') => `${key}${path}`
