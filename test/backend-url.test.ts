// backend-url: what the user wrote → origin, Host header and base path; one error per bad URL.
import t from 'tap'
import { parseBackend } from '../src/config/backend-url.js'

const parsed: Array<[text: string, want: { url: string; origin: string; host: string; basePath: string }]> = [
  ['http://h', { url: 'http://h', origin: 'http://h', host: 'h', basePath: '' }],
  ['http://h:80', { url: 'http://h', origin: 'http://h', host: 'h', basePath: '' }],
  ['http://h:8080', { url: 'http://h:8080', origin: 'http://h:8080', host: 'h:8080', basePath: '' }],
  ['https://h:443', { url: 'https://h', origin: 'https://h', host: 'h', basePath: '' }],
  ['https://h:8443', { url: 'https://h:8443', origin: 'https://h:8443', host: 'h:8443', basePath: '' }],
  ['https://h:80', { url: 'https://h:80', origin: 'https://h:80', host: 'h:80', basePath: '' }],
  ['h:81', { url: 'http://h:81', origin: 'http://h:81', host: 'h:81', basePath: '' }],
  ['127.0.0.1:9000', { url: 'http://127.0.0.1:9000', origin: 'http://127.0.0.1:9000', host: '127.0.0.1:9000', basePath: '' }],
  ['http://[::1]:81', { url: 'http://[::1]:81', origin: 'http://[::1]:81', host: '[::1]:81', basePath: '' }],
  ['HTTP://Example.COM/', { url: 'http://example.com', origin: 'http://example.com', host: 'example.com', basePath: '' }],
  ['http://b/base', { url: 'http://b/base', origin: 'http://b', host: 'b', basePath: '/base' }],
  ['http://b/base/', { url: 'http://b/base', origin: 'http://b', host: 'b', basePath: '/base' }],
  ['http://b:81/a/b', { url: 'http://b:81/a/b', origin: 'http://b:81', host: 'b:81', basePath: '/a/b' }],
]

t.test('a backend URL gives its pool origin, its Host header without the default port, and its base path', async (t) => {
  for (const [text, want] of parsed) {
    const { url, origin, host, basePath } = parseBackend(text, 'backend')
    t.same({ url, origin, host, basePath }, want, `${text}: want ${JSON.stringify(want)}`)
  }
  t.ok(Object.isFrozen(parseBackend('http://h', 'backend')), 'a parsed backend is frozen')
  t.equal(parseBackend('http://h', 'backend').weight, 1, 'alone, a backend has weight 1')
})

const refused: Array<[text: string, message: RegExp]> = [
  ['ftp://h', /^backend: "ftp:\/\/h" must use http:\/\/ or https:\/\/$/],
  ['ws://h', /must use http:\/\/ or https:\/\//],
  ['http://', /^backend: "http:\/\/" is not a URL/],
  ['http://h:99999', /^backend: "http:\/\/h:99999" is not a URL/],
  ['not a url', /^backend: "not a url" is not a URL/],
  ['http://user:pw@h', /carries credentials/],
  ['http://h/?q=1', /may not have a query or fragment/],
  ['http://h/#top', /may not have a query or fragment/],
]

t.test('a bad backend URL throws one ConfigError naming the argument', async (t) => {
  for (const [text, message] of refused) {
    t.throws(() => parseBackend(text, 'backend'), { code: 'UPROXY_BAD_CONFIG', message }, `${JSON.stringify(text)}: want ${message}`)
  }
})
