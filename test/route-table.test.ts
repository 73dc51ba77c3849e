// route-table: prefixes match on segment boundaries, the longest wins, rewrite strips it.
import t from 'tap'
import { parseBackend } from '../src/config/backend-url.js'
import { backendPath, findRoute, matchesPrefix, normalisePrefix, sortRoutes, type Route } from '../src/routing/route-table.js'

const matches: Array<[prefix: string, path: string, want: boolean]> = [
  ['/api', '/api', true],
  ['/api', '/api/', true],
  ['/api', '/api/x/y', true],
  ['/api', '/apis', false],
  ['/api', '/api-v2', false],
  ['/api', '/ap', false],
  ['/api', '/', false],
  ['/api', '/x/api', false],
  ['/a/b', '/a/b/c', true],
  ['/a/b', '/a/bc', false],
  ['/', '/', true],
  ['/', '/anything/at/all', true],
]

t.test('a prefix matches itself and what lies below it, never a longer segment', async (t) => {
  for (const [prefix, path, want] of matches) {
    t.equal(matchesPrefix(prefix, path), want, `prefix ${prefix}, path ${path}: want ${want}`)
  }
})

const route = (prefix: string, backend = 'http://b', rewrite = false): Route =>
  ({ prefix, backend: parseBackend(backend, 'test'), rewrite }) as Route

t.test('findRoute picks the longest matching prefix, whatever the order given', async (t) => {
  const routes = sortRoutes([route('/api'), route('/api/v2'), route('/static'), route('/api/v2/admin')])
  t.same(routes.map((r) => r.prefix), ['/api/v2/admin', '/api/v2', '/static', '/api'], 'sorted longest first')
  const cases: Array<[path: string, want: string | undefined]> = [
    ['/api', '/api'],
    ['/api/v1/users', '/api'],
    ['/api/v2', '/api/v2'],
    ['/api/v2/users', '/api/v2'],
    ['/api/v2/admin/x', '/api/v2/admin'],
    ['/api/v2admin', '/api'],
    ['/apis', undefined],
    ['/static/a.css', '/static'],
    ['/', undefined],
    ['/other', undefined],
  ]
  for (const [path, want] of cases) {
    t.equal(findRoute(routes, path)?.prefix, want, `path ${path}: want route ${want ?? 'none (the default backend)'}`)
  }
  t.ok(Object.isFrozen(routes), 'the sorted table is frozen')
})

t.test('backendPath puts the base path first, strips the prefix when asked, keeps the query', async (t) => {
  const cases: Array<[backend: string, path: string, query: string, strip: string | undefined, want: string]> = [
    ['http://b', '/x', '', undefined, '/x'],
    ['http://b', '/x', 'q=1', undefined, '/x?q=1'],
    ['http://b', '/api/x', 'q=1', '/api', '/x?q=1'],
    ['http://b', '/api', '', '/api', '/'],
    ['http://b', '/api', 'q', '/api', '/?q'],
    ['http://b', '/api/', '', '/api', '/'],
    ['http://b', '/api/x', '', undefined, '/api/x'],
    ['http://b', '/x/y', '', '/', '/x/y'],
    ['http://b/base', '/x', 'q', undefined, '/base/x?q'],
    ['http://b/base/', '/x', '', undefined, '/base/x'],
    ['http://b/base', '/api/x', 'q=1', '/api', '/base/x?q=1'],
    ['http://b/base', '/api', '', '/api', '/base/'],
  ]
  for (const [backend, path, query, strip, want] of cases) {
    const got = backendPath(parseBackend(backend, 'test'), path, query, strip)
    t.equal(got, want, `${backend} + ${path}${query ? `?${query}` : ''}${strip ? ` stripping ${strip}` : ''}: want ${want}`)
  }
})

t.test('normalisePrefix drops a trailing slash and refuses what is not a path', async (t) => {
  const kept: Array<[given: string, want: string]> = [['/api', '/api'], ['/api/', '/api'], ['/api//', '/api'], ['/', '/'], ['/a/b/', '/a/b']]
  for (const [given, want] of kept) t.equal(normalisePrefix(given, 'route'), want, `prefix ${given}: want ${want}`)
  const refused: Array<[given: string, message: RegExp]> = [
    ['api', /^route: prefix "api" must start with \/$/],
    ['', /must start with \//],
    ['/api?x', /may hold only a path/],
    ['/api#x', /may hold only a path/],
    ['/a b', /may hold only a path/],
  ]
  for (const [given, message] of refused) {
    t.throws(() => normalisePrefix(given, 'route'), { code: 'UPROXY_BAD_CONFIG', message }, `prefix ${JSON.stringify(given)}: want ${message}`)
  }
})
