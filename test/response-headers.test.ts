// The built-in response-head phase, then forEachC1Header: which backend headers C1 writes, one line each.
import type { IncomingHttpHeaders } from 'node:http'
import t from 'tap'
import type { Exchange } from '../src/exchange/hooks.js'
import { forEachC1Header, responseHopByHop } from '../src/exchange/response-headers.js'

const written = (headers: IncomingHttpHeaders) => {
  responseHopByHop.c2ResponseHead?.({} as Exchange, { status: 200, statusText: undefined, headers })
  const lines: Array<[string, string]> = []
  forEachC1Header(headers, (name, value) => void lines.push([name, value]))
  return lines
}

const cases: Array<[what: string, headers: IncomingHttpHeaders, want: Array<[string, string]>]> = [
  ['end-to-end headers are copied as they are',
    { 'content-type': 'text/html', etag: '"x"', 'cache-control': 'no-store' },
    [['content-type', 'text/html'], ['etag', '"x"'], ['cache-control', 'no-store']]],
  ['Set-Cookie values stay separate lines, never joined',
    { 'set-cookie': ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT'], 'x-one': 'y' },
    [['set-cookie', 'a=1; Path=/'], ['set-cookie', 'b=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT'], ['x-one', 'y']]],
  ['hop-by-hop headers are dropped',
    { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', trailer: 'x-t', upgrade: 'h2c',
      'proxy-authenticate': 'Basic', te: 'trailers', 'proxy-connection': 'keep-alive', vary: 'accept' },
    [['vary', 'accept']]],
  ['headers the backend names in Connection are dropped',
    { connection: 'X-Internal, x-debug', 'x-internal': 'secret', 'x-debug': '1', 'x-public': 'ok' },
    [['x-public', 'ok']]],
  ['a Connection header given as a list still names headers',
    { connection: ['x-a', 'X-B'] as unknown as string, 'x-a': '1', 'x-b': '2', 'x-c': '3' },
    [['x-c', '3']]],
  ['content-length and date are written by uWS itself, never copied',
    { 'content-length': '12', date: 'Mon, 01 Jan 2026 00:00:00 GMT', server: 'origin' },
    [['server', 'origin']]],
  ['undefined values are skipped', { 'x-gone': undefined, 'x-here': 'y' }, [['x-here', 'y']]],
]

t.test('C1 response headers, case by case', async (t) => {
  for (const [what, headers, want] of cases) t.same(written(headers), want, what)
})
