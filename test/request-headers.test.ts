// c2RequestHeaders: C1's header list → what C2 sends (hop-by-hop out, Host, X-Forwarded-*).
import t from 'tap'
import { c2RequestHeaders, type ForwardedFrom } from '../src/exchange/request-headers.js'

const from: ForwardedFrom = { clientAddress: '192.0.2.9', proto: 'http', host: 'backend:8081' }

/** The flat list as [name, value] pairs, for readable diffs. */
const pairs = (flat: string[]) => flat.reduce<string[][]>((out, v, i) => (i % 2 ? out[out.length - 1]!.push(v) : out.push([v]), out), [])

const cases: Array<[what: string, c1: string[], from: ForwardedFrom, want: string[][]]> = [
  ['plain request: Host replaced, X-Forwarded-* added',
    ['host', 'shop.example', 'accept', '*/*'], from,
    [['accept', '*/*'], ['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'shop.example']]],
  ['preserve-host: an empty from.host forwards the client Host',
    ['host', 'shop.example'], { ...from, host: '' },
    [['host', 'shop.example'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'shop.example']]],
  ['every hop-by-hop header is removed',
    ['host', 'h', 'connection', 'keep-alive', 'keep-alive', 'timeout=5', 'proxy-connection', 'keep-alive', 'te', 'trailers',
      'trailer', 'x-t', 'transfer-encoding', 'chunked', 'upgrade', 'h2c', 'proxy-authorization', 'Basic eA==', 'x-kept', '1'], from,
    [['x-kept', '1'], ['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'h']]],
  ['headers named by Connection are removed, whatever their case and spacing',
    ['host', 'h', 'connection', 'X-Secret ,  x-other', 'connection', 'X-Third', 'x-secret', 's', 'x-other', 'o', 'x-third', '3', 'x-kept', 'k'], from,
    [['x-kept', 'k'], ['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'h']]],
  ['Expect is answered at C1 and not forwarded',
    ['host', 'h', 'expect', '100-continue', 'content-length', '5'], from,
    [['content-length', '5'], ['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'h']]],
  ['X-Forwarded-For: every prior value kept in order, the client appended',
    ['host', 'h', 'x-forwarded-for', '203.0.113.1', 'x-forwarded-for', '203.0.113.2, 203.0.113.3'], from,
    [['host', 'backend:8081'], ['x-forwarded-for', '203.0.113.1, 203.0.113.2, 203.0.113.3, 192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'h']]],
  ['X-Forwarded-Proto and X-Forwarded-Host from the client are replaced',
    ['host', 'real.example', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'spoofed.example'], { ...from, proto: 'https' },
    [['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'https'], ['x-forwarded-host', 'real.example']]],
  ['no client Host: no X-Forwarded-Host (and a spoofed one is still dropped)',
    ['x-forwarded-host', 'spoofed.example'], from,
    [['host', 'backend:8081'], ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http']]],
  ['repeated end-to-end headers stay separate and in order',
    ['host', 'h', 'cookie', 'a=1', 'x-multi', 'one', 'cookie', 'b=2', 'x-multi', 'two'], from,
    [['cookie', 'a=1'], ['x-multi', 'one'], ['cookie', 'b=2'], ['x-multi', 'two'], ['host', 'backend:8081'],
      ['x-forwarded-for', '192.0.2.9'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', 'h']]],
]

t.test('C2 request headers, case by case', async (t) => {
  for (const [what, c1, f, want] of cases) {
    t.same(pairs(c2RequestHeaders(c1, f)), want, what)
  }
})

t.test('the client list is not changed', async (t) => {
  const c1 = ['host', 'h', 'connection', 'x-a', 'x-a', '1']
  c2RequestHeaders(c1, from)
  t.same(c1, ['host', 'h', 'connection', 'x-a', 'x-a', '1'])
})
