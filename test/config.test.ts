// toConfig: defaults, routes in order of length, and one ConfigError naming each bad option.
import t from 'tap'
import { toConfig, type ProxyOptions } from '../src/config/config.js'

t.test('the defaults: listen 0.0.0.0:8000, backend info.cern.ch, 60 s timeout, 10 s grace', async (t) => {
  const config = toConfig({})
  t.equal(config.listen.host, '0.0.0.0')
  t.equal(config.listen.port, 8000)
  t.equal(config.backend.url, 'http://info.cern.ch')
  t.same(config.routes, [])
  t.equal(config.preserveHost, false)
  t.equal(config.timeoutMs, 60_000)
  t.equal(config.readTimeoutMs, 60_000, 'a backend may be silent 60 s mid-body, as nginx\'s proxy_read_timeout')
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
  [{ readTimeout: -1 }, /^readTimeout: "-1" is not a non-negative number of seconds/],
  [{ timeout: '5' }, /^timeout: "5" is not a positive number of seconds/],
  [{ grace: -1 }, /^grace: "-1" is not a non-negative number of seconds/],
  [{ grace: Infinity }, /^grace: "Infinity" is not a non-negative number of seconds/],
  [{ ca: '/nonexistent/ca.pem' }, /^ca: cannot read "\/nonexistent\/ca\.pem" \(ENOENT\)/],
  [{ ca: [7] }, /^ca\[0\]: want a string, got 7/],
  [{ backend: [] }, /^backend: the list of backends is empty$/],
  [{ backend: 'http://a,ftp://b' }, /^backend: "ftp:\/\/b" must use http/],
  [{ backend: ['http://a', 3] }, /^backend\[1\]: want a string, got 3$/],
  [{ backend: 'http://a*0' }, /^backend: weight "0" of "http:\/\/a\*0" is not a whole number 1-1000$/],
  [{ balance: 'random' }, /^balance: "random" is not a policy \(want round-robin, least-connections, ip-hash, two-random-choices\)$/],
  [{ routes: [{ prefix: '/a', backend: 'http://a', balance: 'fastest' }] }, /^routes\[0\]\.balance: "fastest" is not a policy/],
  [{ routes: [{ prefix: '/a', backend: ['http://a', 'http://a'] }] }, /^routes\[0\]\[1\]: "http:\/\/a" is listed twice/],
  [{ vhosts: ['a.test'] }, /^vhosts: want \{ "host\.name": "URL\[,URL…\]" or \{ backend, balance\?, routes\? \} \}$/],
  [{ vhosts: { 'a.test:80': 'http://a' } }, /^vhosts: "a\.test:80" is not a host name or \*\.domain/],
  [{ vhosts: { 'a.test': 7 } }, /^vhosts\["a\.test"\]: want "URL\[,URL…\]" or \{ backend, balance\?, routes\? \}$/],
  [{ vhosts: { 'a.test': {} } }, /^vhosts\["a\.test"\]: want \{ backend, balance\?, routes\? \}$/],
  [{ vhosts: { 'a.test': { backend: 'http://a', balance: 'x' } } }, /^vhosts\["a\.test"\]\.balance: "x" is not a policy/],
  [{ vhosts: { 'a.test': { backend: 'http://a', routes: [{ prefix: 'x', backend: 'http://b' }] } } },
    /^vhosts\["a\.test"\]\.routes\[0\]: prefix "x" must start with \//],
  [{ vhosts: { 'a.test': 'http://a', 'A.test': 'http://b' } }, /^vhosts: host "a\.test" is given twice$/],
  [{ maxFails: 0 }, /^maxFails: "0" is not a whole number 1 or more$/],
  [{ maxFails: 1.5 }, /^maxFails: "1\.5" is not a whole number 1 or more$/],
  [{ failWindow: 0 }, /^failWindow: "0" is not a positive number of seconds$/],
  [{ failTimeout: -1 }, /^failTimeout: "-1" is not a positive number of seconds$/],
  [{ healthInterval: '5' }, /^healthInterval: "5" is not a positive number of seconds$/],
  [{ healthPath: 'healthz' }, /^healthPath: "healthz" is not a path starting with \/$/],
  [{ retries: -1 }, /^retries: "-1" is not a whole number 0 or more$/],
]

t.test('a bad option throws one ConfigError whose one-line message names it', async (t) => {
  for (const [options, message] of refused) {
    t.throws(() => toConfig(options as ProxyOptions), { code: 'UPROXY_BAD_CONFIG', message }, `${JSON.stringify(options)}: want ${message}`)
  }
})

t.test('load balancing: defaults, weights, and balance/rewrite inherited by routes and virtual hosts unless set', async (t) => {
  const config = toConfig({})
  t.same(config.backends.map((b) => [b.url, b.weight]), [['http://info.cern.ch', 1]], 'one backend, weight 1')
  t.equal(config.balance, 'round-robin')
  t.same({ ...config.health }, { maxFails: 1, failWindowMs: 10_000, failTimeoutMs: 10_000, path: undefined, intervalMs: 5000 },
    'nginx\'s max_fails=1 fail_timeout=10s; probes off, every 5 s when on')
  t.equal(config.retries, 1)
  t.equal(config.vhosts.exact.size + config.vhosts.wildcards.length, 0, 'no virtual hosts')
  const lb = toConfig({
    backend: 'http://a:1*3,http://b:2',
    balance: 'least-connections',
    rewrite: true,
    routes: [{ prefix: '/x', backend: ['http://c'] }, { prefix: '/y', backend: 'http://d', balance: 'ip-hash', rewrite: false }],
    vhosts: { 'Shop.test': 'http://e,http://f', '*.shop.test': { backend: 'http://g', balance: 'two-random-choices', routes: [{ prefix: '/api', backend: 'http://h' }] } },
    maxFails: 3, failWindow: 30, failTimeout: 0.5, healthPath: '/healthz', healthInterval: 2, retries: 0,
  })
  t.same(lb.backends.map((b) => [b.url, b.weight]), [['http://a:1', 3], ['http://b:2', 1]])
  t.equal(lb.backend.url, 'http://a:1', 'backend is the first of backends')
  t.same(lb.routes.map((r) => [r.prefix, r.balance, r.rewrite]), [['/x', 'least-connections', true], ['/y', 'ip-hash', false]])
  const shop = lb.vhosts.exact.get('shop.test')
  t.same(shop?.backends.map((b) => b.url), ['http://e', 'http://f'], 'a vhost given as a list, its name lowercased')
  t.equal(shop?.balance, 'least-connections', 'the top-level balance')
  const [suffix, wild] = lb.vhosts.wildcards[0] ?? []
  t.equal(suffix, '.shop.test')
  t.equal(wild?.balance, 'two-random-choices')
  t.same(wild?.routes.map((r) => [r.prefix, r.backend.url, r.rewrite]), [['/api', 'http://h', true]], 'routes within the vhost, top-level rewrite')
  t.same({ ...lb.health }, { maxFails: 3, failWindowMs: 30_000, failTimeoutMs: 500, path: '/healthz', intervalMs: 2000 })
  t.equal(lb.retries, 0)
})
