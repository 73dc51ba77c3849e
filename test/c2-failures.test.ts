// failures:  which failed exchanges may be sent again, which count against the backend, by code.
import t from 'tap'
import { isBackendFailure, isBrokenConnection, mayRetry } from '../src/c2/failures.js'

const failure = (code: string, viaCause = false): Error =>
  Object.assign(new Error(`failed ${code}`), viaCause ? { cause: { code } } : { code })

t.test('mayRetry: no body, and an idempotent method or a connection never made', async (t) => {
  const cases: Array<[method: string, hasBody: boolean, code: string, want: boolean]> = [
    ['GET', false, 'ECONNREFUSED', true],
    ['GET', false, 'UND_ERR_SOCKET', true],
    ['GET', false, 'UND_ERR_HEADERS_TIMEOUT', true],
    ['HEAD', false, 'ECONNRESET', true],
    ['OPTIONS', false, 'UND_ERR_SOCKET', true],
    ['PUT', false, 'UND_ERR_SOCKET', true],
    ['DELETE', false, 'UND_ERR_SOCKET', true],
    ['PUT', true, 'ECONNREFUSED', false],
    ['GET', true, 'UND_ERR_SOCKET', false],
    ['POST', false, 'ECONNREFUSED', true],
    ['POST', false, 'UND_ERR_CONNECT_TIMEOUT', true],
    ['PATCH', false, 'ENOTFOUND', true],
    ['POST', false, 'UND_ERR_SOCKET', false],
    ['POST', false, 'ECONNRESET', false],
    ['POST', false, 'UND_ERR_HEADERS_TIMEOUT', false],
    ['POST', true, 'ECONNREFUSED', false],
    ['PATCH', false, 'UND_ERR_SOCKET', false],
    // uproxy's own HTTP/1.1 C2
    ['POST', false, 'UPROXY_C2_CONNECT_TIMEOUT', true],
    ['POST', false, 'UPROXY_C2_STALE_KEEPALIVE', false],
    ['GET', false, 'UPROXY_C2_STALE_KEEPALIVE', true],
    ['GET', true, 'UPROXY_C2_STALE_KEEPALIVE', false],
    ['GET', false, 'UPROXY_C2_HEAD_TIMEOUT', true],
    ['POST', false, 'UPROXY_C2_HEAD_TIMEOUT', false],
    ['GET', false, 'UPROXY_C2_INVALID_RESPONSE', true],
    ['POST', false, 'UPROXY_C2_INVALID_RESPONSE', false],
    ['DELETE', false, 'UPROXY_C2_CLOSED', true],
    ['PATCH', false, 'UPROXY_C2_CLOSED', false],
  ]
  for (const [method, hasBody, code, want] of cases) {
    t.equal(mayRetry(method, hasBody, failure(code)), want, `${method}${hasBody ? ' with a body' : ''} after ${code}: want ${want}`)
  }
  t.equal(mayRetry('POST', false, failure('ECONNREFUSED', true)), true, 'the code may sit on the cause (undici wraps)')
})

t.test('isBackendFailure: refused, reset, timed out; not TLS, DNS or a client that left', async (t) => {
  const cases: Array<[code: string, want: boolean]> = [
    ['ECONNREFUSED', true], ['UND_ERR_CONNECT_TIMEOUT', true], ['UND_ERR_SOCKET', true], ['ECONNRESET', true], ['EPIPE', true],
    ['UND_ERR_HEADERS_TIMEOUT', true], ['ETIMEDOUT', true],
    ['ENOTFOUND', false], ['DEPTH_ZERO_SELF_SIGNED_CERT', false], ['ERR_TLS_CERT_ALTNAME_INVALID', false],
    ['UPROXY_CLIENT_GONE', false], ['UND_ERR_ABORTED', false], ['', false],
    ['UPROXY_C2_CONNECT_TIMEOUT', true], ['UPROXY_C2_HEAD_TIMEOUT', true], ['UPROXY_C2_INVALID_RESPONSE', true],
    ['UPROXY_C2_CLOSED', true], ['UPROXY_C2_STALE_KEEPALIVE', false],
  ]
  for (const [code, want] of cases) t.equal(isBackendFailure(failure(code)), want, `${code || 'no code'}: want ${want}`)
})

t.test('isBrokenConnection: the pooled connection broke, the same backend may be asked again', async (t) => {
  const cases: Array<[code: string, want: boolean]> = [['UND_ERR_SOCKET', true], ['ECONNRESET', true], ['EPIPE', true], ['ECONNREFUSED', false], ['UND_ERR_HEADERS_TIMEOUT', false],
    ['UPROXY_C2_STALE_KEEPALIVE', true], ['UPROXY_C2_CLOSED', false], ['UPROXY_C2_INVALID_RESPONSE', false], ['UPROXY_C2_HEAD_TIMEOUT', false]]
  for (const [code, want] of cases) t.equal(isBrokenConnection(failure(code)), want, `${code}: want ${want}`)
})
