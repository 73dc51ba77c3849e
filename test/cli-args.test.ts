// parseCliArgs: argv → the options the flags set, and one ConfigError naming each bad argument.
import t from 'tap'
import { nameCliOptions, parseCliArgs } from '../src/cli/cli-args.js'
import { toConfig, type ProxyOptions } from '../src/config/config.js'

const parsed: Array<[argv: string[], options: ProxyOptions]> = [
  [[], {}],
  [['http://b:81'], { backend: 'http://b:81' }],
  [['-b', 'http://b:81'], { backend: 'http://b:81' }],
  [['--backend', 'b:81'], { backend: 'b:81' }],
  [['-l', '127.0.0.1:0'], { listen: { host: '127.0.0.1', port: 0 } }],
  [['--listen', ':9000'], { listen: { host: '0.0.0.0', port: 9000 } }],
  [['--listen', '[::1]:8080'], { listen: { host: '::1', port: 8080 } }],
  [['-r', '/api=http://a', '--route', '/img=https://i/base'], {
    routes: [{ prefix: '/api', backend: 'http://a' }, { prefix: '/img', backend: 'https://i/base' }],
  }],
  [['--route', '/q=http://a/?x=1'], { routes: [{ prefix: '/q', backend: 'http://a/?x=1' }] }],
  [['--rewrite', '--preserve-host', '--quiet', '--insecure'], { rewrite: true, preserveHost: true, quiet: true, insecure: true }],
  [['--timeout', '2.5', '--grace', '0'], { timeout: 2.5, grace: 0 }],
  [['--read-timeout', '0'], { readTimeout: 0 }],
  [['--ca', 'a.pem', '--ca', 'b.pem'], { ca: ['a.pem', 'b.pem'] }],
  [['http://a:1*3,http://b:2'], { backend: 'http://a:1*3,http://b:2' }],
  [['-r', '/api=http://a,http://b*2'], { routes: [{ prefix: '/api', backend: 'http://a,http://b*2' }] }],
  [['--balance', 'ip-hash'], { balance: 'ip-hash' }],
  [['--vhost', 'A.test=http://a,http://b', '--vhost', '*.b.test=http://c'], { vhosts: { 'a.test': 'http://a,http://b', '*.b.test': 'http://c' } }],
  [['--max-fails', '3', '--fail-window', '30', '--fail-timeout', '0.5'], { maxFails: 3, failWindow: 30, failTimeout: 0.5 }],
  [['--health-path', '/healthz', '--health-interval', '2'], { healthPath: '/healthz', healthInterval: 2 }],
  [['--retries', '0'], { retries: 0 }],
]

t.test('flags become the API options they name, and nothing else', async (t) => {
  for (const [argv, options] of parsed) {
    const args = parseCliArgs(argv)
    t.same(args.options, options, `argv ${JSON.stringify(argv)}: want options ${JSON.stringify(options)}`)
    t.equal(args.help, false, `argv ${JSON.stringify(argv)}: help stays off`)
    t.equal(args.version, false, `argv ${JSON.stringify(argv)}: version stays off`)
    t.equal(args.configFile, undefined, `argv ${JSON.stringify(argv)}: no config file`)
  }
})

t.test('--help, -h, --version and --config are reported, not turned into options', async (t) => {
  t.equal(parseCliArgs(['--help']).help, true)
  t.equal(parseCliArgs(['-h']).help, true)
  t.equal(parseCliArgs(['--version']).version, true)
  const withFile = parseCliArgs(['--config', 'uproxy.json', '--quiet'])
  t.equal(withFile.configFile, 'uproxy.json')
  t.same(withFile.options, { quiet: true }, 'the file is read by the bin, not by parseCliArgs')
})

const refused: Array<[argv: string[], message: RegExp]> = [
  [['--nope'], /^unknown option --nope\b/],
  [['-x'], /^unknown option -x\b/],
  [['--listen'], /^option --listen needs a value/],
  [['-l'], /^option --listen needs a value/],
  [['--backend'], /^option --backend needs a value/],
  [['--timeout', '-1'], /^option --timeout needs a value \(a value starting with - goes as --timeout=VALUE/],
  [['--quiet=yes'], /^option --quiet takes no value/],
  [['http://a', 'http://b'], /^unexpected argument "http:\/\/b"/],
  [['http://a', '-b', 'http://b'], /^backend given twice/],
  [['--listen', '127.0.0.1'], /^--listen: "127\.0\.0\.1" is not HOST:PORT/],
  [['--listen', '127.0.0.1:65536'], /^--listen: port "127\.0\.0\.1:65536" is out of range 0-65535/],
  [['--listen', '127.0.0.1:-1'], /^--listen: "127\.0\.0\.1:-1" is not HOST:PORT/],
  [['--route', '/api'], /^--route: "\/api" is not PREFIX=URL/],
  [['--route', '=http://a'], /^--route: "=http:\/\/a" is not PREFIX=URL/],
  [['--route', '/api='], /^--route: "\/api=" is not PREFIX=URL/],
  [['--timeout', 'soon'], /^--timeout: "soon" is not a positive number of seconds$/],
  [['--timeout=-1'], /^--timeout: "-1" is not a positive number of seconds$/],
  [['--timeout', ''], /^--timeout: "" is not a positive number of seconds$/],
  [['--grace', 'Infinity'], /^--grace: "Infinity" is not a non-negative number of seconds$/],
  [['--vhost', 'a.test'], /^--vhost: "a\.test" is not HOST=URL\[,URL…\]$/],
  [['--vhost', 'a.test='], /^--vhost: "a\.test=" is not HOST=URL/],
  [['--vhost', 'a.test=http://a', '--vhost', 'A.TEST=http://b'], /^--vhost: host "a\.test" is given twice$/],
  [['--max-fails', 'two'], /^--max-fails: "two" is not a whole number 1 or more$/],
  [['--retries', '1.5'], /^--retries: "1\.5" is not a whole number 0 or more$/],
  [['--fail-timeout', 'soon'], /^--fail-timeout: "soon" is not a positive number of seconds$/],
  [['--health-interval', ''], /^--health-interval: "" is not a positive number of seconds$/],
]

t.test('a bad argument throws one ConfigError whose one-line message names it', async (t) => {
  for (const [argv, message] of refused) {
    let caught: unknown
    try {
      parseCliArgs(argv)
    } catch (err) {
      caught = err
    }
    t.equal((caught as { code?: string } | undefined)?.code, 'UPROXY_BAD_CONFIG', `argv ${JSON.stringify(argv)}: want a ConfigError`)
    const text = (caught as Error | undefined)?.message ?? ''
    t.match(text, message, `argv ${JSON.stringify(argv)}: want a message matching ${message}`)
    t.notMatch(text, /\n/, `argv ${JSON.stringify(argv)}: want one line`)
  }
})

const named: Array<[what: string, argv: string[], fromFile: object, message: RegExp]> = [
  ['a bad --route', ['--route', 'api=http://a'], {}, /^--route: prefix "api" must start with \/$/],
  ['a bad route in the file', [], { routes: [{ prefix: 'api', backend: 'http://a' }] }, /^routes\[0\]: prefix "api" must start with \/$/],
  ['a bad --route over the file\'s routes', ['--route', 'api=http://a'], { routes: [] }, /^--route: prefix "api"/],
  ['the BACKEND argument', ['ftp://a'], {}, /^backend: "ftp:\/\/a" must use http:\/\/ or https:\/\/$/],
  ['--backend', ['--backend', 'ftp://a'], {}, /^--backend: "ftp:\/\/a" must use/],
  ['backend in the file', [], { backend: 'ftp://a' }, /^backend: "ftp:\/\/a" must use/],
  ['--redirect-http without two listeners', ['--redirect-http'], {}, /^--redirect-http: needs an http:\/\/ and an https:\/\/ listen address/],
  ['redirectHttp in the file', [], { redirectHttp: true }, /^redirectHttp: needs an http:\/\//],
  ['--tls-key alone', ['--tls-key', 'k.pem'], {}, /^--tls-key: given without --tls-cert FILE$/],
  ['tlsKey in the file', [], { tlsKey: 'k.pem' }, /^tlsKey: given without --tls-cert FILE$/],
  ['an unreadable --ca', ['--ca', '/nonexistent/ca.pem'], {}, /^--ca: cannot read "\/nonexistent\/ca\.pem" \(ENOENT\)$/],
  ['timeout in the file', [], { timeout: 0 }, /^timeout: "0" is not a positive number of seconds$/],
  ['a --vhost with a bad backend', ['--vhost', 'a.test=ftp://a'], {}, /^--vhost: "ftp:\/\/a" must use/],
  ['a vhost in the file with a bad backend', [], { vhosts: { 'a.test': 'ftp://a' } }, /^vhosts\["a\.test"\]\.backend: "ftp:\/\/a" must use/],
  ['an https:// --listen without a certificate', ['--listen', 'https://127.0.0.1:0', '--listen', '127.0.0.1:0'], {},
    /^--listen: an https:\/\/ address needs a certificate/],
  ['--balance in the file', [], { balance: 'fastest' }, /^balance: "fastest" is not a policy/],
  ['--balance', ['--balance', 'fastest'], {}, /^--balance: "fastest" is not a policy/],
]

t.test('the command line and a --config file merged: errors name flags for what the flags set, API names for what the file set', async (t) => {
  for (const [what, argv, fromFile, message] of named) {
    let caught: unknown
    try {
      const args = parseCliArgs(argv)
      toConfig({ ...fromFile, ...args.options }, nameCliOptions(args, fromFile))
    } catch (err) {
      caught = err
    }
    t.equal((caught as { code?: string } | undefined)?.code, 'UPROXY_BAD_CONFIG', `${what}: want a ConfigError`)
    t.match((caught as Error | undefined)?.message ?? '', message, `${what}: got ${JSON.stringify((caught as Error | undefined)?.message)}, want ${message}`)
  }
})
