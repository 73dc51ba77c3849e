// backend-list: comma lists and arrays of URLs with *WEIGHT suffixes, one ConfigError naming each bad entry.
import t from 'tap'
import { parseBackendList } from '../src/config/backend-list.js'

const parsed: Array<[value: unknown, want: Array<[url: string, weight: number]>]> = [
  ['http://a:1', [['http://a:1', 1]]],
  ['a:1', [['http://a:1', 1]]],
  ['http://a:1,http://b:2', [['http://a:1', 1], ['http://b:2', 1]]],
  ['http://a:1*3,http://b:2', [['http://a:1', 3], ['http://b:2', 1]]],
  ['http://a:1*3, http://b:2*1000', [['http://a:1', 3], ['http://b:2', 1000]]],
  ['https://a/base*2', [['https://a/base', 2]]],
  [['http://a:1', 'http://b:2*5'], [['http://a:1', 1], ['http://b:2', 5]]],
  [['http://a:1'], [['http://a:1', 1]]],
]

t.test('a list gives its backends in order, weight 1 unless *N says otherwise', async (t) => {
  for (const [value, want] of parsed) {
    const list = parseBackendList(value, 'backend')
    t.same(list.map(({ url, weight }) => [url, weight]), want, `${JSON.stringify(value)}: want ${JSON.stringify(want)}`)
    t.ok(Object.isFrozen(list) && list.every(Object.isFrozen), `${JSON.stringify(value)}: frozen`)
  }
})

const refused: Array<[value: unknown, message: RegExp]> = [
  [42, /^backend: want a string, got 42 \(a URL, URLs split by commas, or an array\)$/],
  [[], /^backend: the list of backends is empty$/],
  ['', /^backend: an empty backend in the list/],
  ['http://a:1,', /^backend: an empty backend in the list \(a stray comma\?\)$/],
  ['http://a:1,,http://b:2', /^backend: an empty backend/],
  [[7], /^backend\[0\]: want a string, got 7$/],
  [['http://a:1', 'ftp://b'], /^backend\[1\]: "ftp:\/\/b" must use http:\/\/ or https:\/\//],
  ['http://a:1*0', /^backend: weight "0" of "http:\/\/a:1\*0" is not a whole number 1-1000$/],
  ['http://a:1*1001', /^backend: weight "1001" of .* is not a whole number 1-1000$/],
  ['http://a:1*1.5', /^backend: weight "1\.5" of .* is not a whole number/],
  ['http://a:1*', /^backend: weight "" of .* is not a whole number/],
  ['http://a:1*-2', /^backend: weight "-2" of .* is not a whole number/],
  ['http://a:1,http://a:1/', /^backend: "http:\/\/a:1" is listed twice \(give it a weight: URL\*2\)$/],
]

t.test('a bad list is refused with one line naming the argument and the fix', async (t) => {
  for (const [value, message] of refused) {
    t.throws(() => parseBackendList(value, 'backend'), { code: 'UPROXY_BAD_CONFIG', message }, `${JSON.stringify(value)}: want ${message}`)
  }
})

t.test('the URL parser is the caller\'s: a route passes its own', async (t) => {
  const list = parseBackendList('http://a:1*2', 'routes[0]', (text, what) => ({ url: `${what}:${text}`, origin: '', host: '', basePath: '' }) as never)
  t.same([list[0]?.url, list[0]?.weight], ['routes[0]:http://a:1', 2], 'its backend, with the weight of the list')
})
