// gateway-errors as a table: each C2 failure code → 502 or 504, and a one-line reason for stderr.
import t from 'tap'
import { errors } from 'undici'
import { C2Error, C2_CODES } from '../src/c2/c2-errors.js'
import { gatewayStatus } from '../src/c2/failures.js'
import { describeError } from '../src/c2/gateway-errors.js'

const withCode = (code: string, message = `failed with ${code}`) => Object.assign(new Error(message), { code })
const withCause = (code: string) => Object.assign(new Error('fetch failed'), { cause: withCode(code) })

const statuses: Array<[what: string, err: Error, want: 502 | 504]> = [
  ['undici HeadersTimeoutError', new errors.HeadersTimeoutError(), 504],
  ['undici ConnectTimeoutError', new errors.ConnectTimeoutError(), 504],
  ['ETIMEDOUT', withCode('ETIMEDOUT'), 504],
  ['uproxy C2 head timeout', new C2Error(C2_CODES.headTimeout, 'no response head within 60000 ms'), 504],
  ['uproxy C2 connect timeout', new C2Error(C2_CODES.connectTimeout, 'no connection'), 504],
  ['uproxy C2 invalid response', new C2Error(C2_CODES.invalidResponse, 'invalid response from the backend: bad status line'), 502],
  ['uproxy C2 closed before the response was complete', new C2Error(C2_CODES.closed, 'closed'), 502],
  ['uproxy C2 stale keep-alive', new C2Error(C2_CODES.staleKeepAlive, 'stale'), 502],
  ['ETIMEDOUT as the cause', withCause('ETIMEDOUT'), 504],
  ['UND_ERR_HEADERS_TIMEOUT as the cause', withCause('UND_ERR_HEADERS_TIMEOUT'), 504],
  ['undici BodyTimeoutError (--read-timeout before the first body byte reached the client)', new errors.BodyTimeoutError(), 504],
  ['undici SocketError', new errors.SocketError('other side closed'), 502],
  ['ECONNREFUSED', withCode('ECONNREFUSED'), 502],
  ['ECONNRESET', withCode('ECONNRESET'), 502],
  ['ENOTFOUND (DNS)', withCode('ENOTFOUND'), 502],
  ['EAI_AGAIN (DNS)', withCode('EAI_AGAIN'), 502],
  ['DEPTH_ZERO_SELF_SIGNED_CERT (TLS)', withCode('DEPTH_ZERO_SELF_SIGNED_CERT'), 502],
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE (TLS)', withCode('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 502],
  ['ERR_TLS_CERT_ALTNAME_INVALID (TLS)', withCode('ERR_TLS_CERT_ALTNAME_INVALID'), 502],
  ['no code at all', new Error('something broke'), 502],
  ['a numeric code', Object.assign(new Error('odd'), { code: 504 }), 502],
  ['a message that mentions a timeout but no timeout code', new Error('UND_ERR_HEADERS_TIMEOUT in text only'), 502],
]

t.test('a too-slow backend is 504, every other failure 502, decided by code and never by message', async (t) => {
  for (const [what, err, want] of statuses) t.equal(gatewayStatus(err), want, `${what}: want ${want}`)
})

const reasons: Array<[what: string, err: Error, want: string]> = [
  ['code prefixed', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'connect ECONNREFUSED 127.0.0.1:1'],
  ['code not in the message', withCode('ENOTFOUND', 'lookup failed'), 'ENOTFOUND lookup failed'],
  ['the cause gives the code', withCause('ECONNRESET'), 'ECONNRESET fetch failed'],
  ['newlines flattened', withCode('X_CODE', 'line one\nline two\n  three'), 'X_CODE line one line two three'],
  ['no code', new Error('plain'), 'plain'],
]

t.test('describeError gives the code and message on one line', async (t) => {
  for (const [what, err, want] of reasons) t.equal(describeError(err), want, `${what}: want ${JSON.stringify(want)}`)
})
