// vhost-table: Host → virtual host, exact names before wildcards, port ignored, any case.
import t from 'tap'
import { createVhostTable, findVhost, hostName, normaliseHostPattern } from '../src/routing/vhost-table.js'

const table = createVhostTable([
  ['example.com', 'apex'],
  ['*.example.com', 'sub'],
  ['*.api.example.com', 'api-sub'],
  ['www.example.com', 'www'],
  ['LocalHost', 'local'],
  ['127.0.0.1', 'v4'],
  ['[::1]', 'v6'],
  ['shop.test.', 'shop'],
])

const found: Array<[host: string | undefined, want: string | undefined]> = [
  ['example.com', 'apex'],
  ['EXAMPLE.com', 'apex'],
  ['example.com:8080', 'apex'],
  ['example.com.', 'apex'],
  ['www.example.com', 'www'],
  ['www.example.com:443', 'www'],
  ['a.example.com', 'sub'],
  ['a.b.example.com', 'sub'],
  ['v1.api.example.com', 'api-sub'],
  ['api.example.com', 'sub'],
  ['xexample.com', undefined],
  ['example.org', undefined],
  ['localhost:8000', 'local'],
  ['127.0.0.1:1234', 'v4'],
  ['[::1]:8000', 'v6'],
  ['[::1]', 'v6'],
  ['shop.test', 'shop'],
  ['', undefined],
  [undefined, undefined],
]

t.test('findVhost: exact names first, then the longest wildcard; port, case and a trailing dot ignored', async (t) => {
  for (const [host, want] of found) t.equal(findVhost(table, host), want, `Host ${JSON.stringify(host)}: want ${want ?? 'none (the default)'}`)
})

t.test('hostName drops the port but not an IPv6 address', async (t) => {
  const cases: Array<[string, string]> = [['a.b:1', 'a.b'], ['A.B', 'a.b'], ['[::1]:80', '[::1]'], ['[::1]', '[::1]'], ['a.', 'a']]
  for (const [given, want] of cases) t.equal(hostName(given), want, `${given}: want ${want}`)
})

t.test('a pattern that is not a host name or *.domain is refused with one line', async (t) => {
  const refused = ['', '*', '*.', 'a.*.com', 'example.com:80', 'http://example.com', 'example.com/x', 'a b', '-a.com', 'a..com', '**.a.com']
  for (const pattern of refused) {
    t.throws(() => normaliseHostPattern(pattern, '--vhost'), { code: 'UPROXY_BAD_CONFIG', message: /^--vhost: ".*" is not a host name or \*\.domain \(no port, no path\)$/ },
      `${JSON.stringify(pattern)}: refused`)
  }
  t.equal(normaliseHostPattern('*.Example.COM.', 'x'), '*.example.com')
  t.throws(() => createVhostTable([['a.com', 1], ['A.com', 2]]), { message: /^vhosts: host "a\.com" is given twice$/ })
  t.throws(() => createVhostTable([['*.a.com', 1], ['*.A.com', 2]]), { message: /^vhosts: host "\*\.a\.com" is given twice$/ })
})
