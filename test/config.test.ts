// toConfig: defaults, routes in order of length, and one ConfigError naming each bad option.
import t from 'tap'
import { toConfig, type ProxyOptions } from '../src/config.js'

t.test('the defaults: listen 0.0.0.0:8000, backend info.cern.ch, 60 s timeout, 10 s grace', async (t) => {
  const config = toConfig({})
  t.equal(config.listen.host, '0.0.0.0')
  t.equal(config.listen.port, 8000)
  t.equal(config.backend.url, 'http://info.cern.ch')
  t.same(config.routes, [])
  t.equal(config.preserveHost, false)
  t.equal(config.timeoutMs, 60_000)
  t.equal(config.graceMs, 10_000)
  t.equal(config.quiet, false)
  t.equal(config.ca, undefined, 'no ca option: Node default trust (system CAs and NODE_EXTRA_CA_CERTS)')
  t.equal(config.insecure, false)
  t.ok(Object.isFrozen(config), 'the config is frozen')
})

t.test('routes are sorted longest first and take the top-level rewrite unless they set their own', async (t) => {
  const config = toConfig({
    rewrite: true,
    routes: [
      { prefix: '/a', backend: 'http://one' },
      { prefix: '/a/b/', backend: 'http://two', rewrite: false },
    ],
  })
  t.same(config.routes.map((r) => [r.prefix, r.backend.url, r.rewrite]), [['/a/b', 'http://two', false], ['/a', 'http://one', true]])
  t.equal(toConfig({ timeout: 0.5, grace: 0 }).timeoutMs, 500, 'seconds become milliseconds')
  t.equal(toConfig({ grace: 0 }).graceMs, 0, 'a grace of 0 cuts at once')
  t.equal(toConfig({ listen: '127.0.0.1:0' }).listen.port, 0, 'listen may be a HOST:PORT string')
  t.equal(toConfig({ listen: { host: '::1', port: 81 } }).listen.host, '::1', 'or an object')
})

const refused: Array<[options: unknown, message: RegExp]> = [
  [{ backends: 'http://a' }, /^unknown option "backends"$/],
  [{ backend: 42 }, /^backend: want a string, got 42\b/],
  [{ backend: 'ftp://a' }, /^backend: "ftp:\/\/a" must use http:\/\/ or https:\/\//],
  [{ backend: 'http://a b' }, /^backend: "http:\/\/a b" is not a URL/],
  [{ listen: 'nope' }, /^listen: "nope" is not HOST:PORT/],
  [{ listen: '127.0.0.1:70000' }, /^listen: port "127\.0\.0\.1:70000" is out of range 0-65535/],
  [{ listen: { port: -1 } }, /^listen\.port: port "-1" is out of range 0-65535/],
  [{ listen: { port: 1.5 } }, /^listen\.port: port "1\.5" is out of range/],
  [{ listen: 8000 }, /^listen: want "HOST:PORT" or \{ host, port \}/],
  [{ routes: [{ prefix: '/a' }] }, /^routes\[0\]: want \{ prefix, backend \}/],
  [{ routes: ['/a=http://b'] }, /^routes\[0\]: want \{ prefix, backend \}/],
  [{ routes: [{ prefix: 'a', backend: 'http://b' }] }, /^routes\[0\]: prefix "a" must start with \//],
  [{ routes: [{ prefix: '/a', backend: 'gopher://b' }] }, /^routes\[0\]: "gopher:\/\/b" must use http:\/\/ or https:\/\//],
  [{ routes: [{ prefix: '/a', backend: 'http://b', rewrite: 'yes' }] }, /^routes\[0\]\.rewrite: want true or false, got "yes"/],
  [{ rewrite: 1 }, /^rewrite: want true or false, got 1/],
  [{ preserveHost: 'true' }, /^preserveHost: want true or false/],
  [{ quiet: null }, /^quiet: want true or false, got null/],
  [{ insecure: 'no' }, /^insecure: want true or false/],
  [{ timeout: 0 }, /^timeout: "0" is not a positive number of seconds/],
  [{ timeout: -1 }, /^timeout: "-1" is not a positive number of seconds/],
  [{ timeout: '5' }, /^timeout: "5" is not a positive number of seconds/],
  [{ grace: -1 }, /^grace: "-1" is not a non-negative number of seconds/],
  [{ grace: Infinity }, /^grace: "Infinity" is not a non-negative number of seconds/],
  [{ ca: '/nonexistent/ca.pem' }, /^ca: cannot read "\/nonexistent\/ca\.pem" \(ENOENT\)/],
  [{ ca: [7] }, /^ca\[0\]: want a string, got 7/],
]

t.test('a bad option throws one ConfigError whose one-line message names it', async (t) => {
  for (const [options, message] of refused) {
    t.throws(() => toConfig(options as ProxyOptions), { code: 'UPROXY_BAD_CONFIG', message }, `${JSON.stringify(options)}: want ${message}`)
  }
})
