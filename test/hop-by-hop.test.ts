// hop-by-hop: the fixed table, and the names a Connection header lists.
import t from 'tap'
import { connectionNamed, HOP_BY_HOP } from '../src/exchange/hop-by-hop.js'

t.test('the table holds RFC 9110 §7.6.1 hop-by-hop headers and the proxy ones, lowercase', async (t) => {
  for (const name of ['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
    'te', 'trailer', 'transfer-encoding', 'upgrade']) {
    t.ok(HOP_BY_HOP.has(name), `${name} is hop-by-hop`)
  }
  for (const name of ['content-length', 'content-type', 'host', 'cookie', 'set-cookie', 'authorization', 'trailers', 'expect']) {
    t.notOk(HOP_BY_HOP.has(name), `${name} is end-to-end`)
  }
})

const named: Array<[values: string[], want: string[] | undefined]> = [
  [[], undefined],
  [['close'], ['close']],
  [['keep-alive, X-Foo'], ['keep-alive', 'x-foo']],
  [['Upgrade'], ['upgrade']],
  [['a,,b ', '  C'], ['a', 'b', 'c']],
  [['x-a, X-A'], ['x-a']],
  [[''], []],
  [[' , '], []],
]

t.test('connectionNamed lists the lowercase names a Connection header carries', async (t) => {
  for (const [values, want] of named) {
    const got = connectionNamed(values)
    t.same(got === undefined ? undefined : [...got].sort(), want, `Connection ${JSON.stringify(values)}: want ${JSON.stringify(want)}`)
  }
})
