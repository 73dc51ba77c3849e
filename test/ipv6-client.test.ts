// Client addresses as nginx writes them: IPv6 in RFC 5952 text, IPv4-mapped IPv6 as plain IPv4.
import net from 'node:net'
import t from 'tap'
import { formatClientAddress } from '../src/c1/client-address.js'
import { startOrigin } from './helpers/origin.js'
import { startTestProxy } from './helpers/proxy.js'
import { rawExchange } from './helpers/raw-socket.js'

/** True when this machine can listen on the IPv6 loopback. */
async function hasIPv6Loopback(): Promise<boolean> {
  const server = net.createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(false))
    server.listen(0, '::1', () => server.close(() => resolve(true)))
  })
}

const noIPv6 = (await hasIPv6Loopback()) ? false : 'this machine has no IPv6 loopback (::1)'

t.test('an IPv6 client is ::1 in X-Forwarded-For, not every group in full', { skip: noIPv6 }, async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, listen: { host: '::1', port: 0 } })
  const reply = await rawExchange(proxy.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 2001:db8::7\r\nConnection: close\r\n\r\n', 3000, '::1')
  t.match(reply.text, /^HTTP\/1\.1 200 OK\r\n/, 'want 200')
  t.equal(origin.seen[0]?.headers['x-forwarded-for'], '2001:db8::7, ::1', 'got this X-Forwarded-For at the origin')
})

t.test('on a dual-stack listener, an IPv4 client is its IPv4 address, an IPv6 one ::1', { skip: noIPv6 }, async (t) => {
  const origin = await startOrigin(t)
  const proxy = await startTestProxy(t, { backend: origin.url, listen: { host: '::', port: 0 } })
  for (const [client, want] of [['127.0.0.1', '127.0.0.1'], ['::1', '::1']]) {
    await rawExchange(proxy.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000, client)
    t.equal(origin.seen.shift()?.headers['x-forwarded-for'], want, `client ${client}: got this X-Forwarded-For at the origin`)
  }
})

t.test('formatClientAddress: RFC 5952 text for uWS\'s 16 bytes, plain IPv4 for 4 bytes and for IPv4-mapped', async (t) => {
  const cases: Array<[hex: string, want: string]> = [
    ['7f000001', '127.0.0.1'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000ffffc0000201', '192.0.2.1'],
    ['20010db8000000000000000000000001', '2001:db8::1'],
    // §4.2.2: a single zero group is not compressed
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // §4.2.3: the longest run, the first of equal runs
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['fe800000000000000000abcdef012345', 'fe80::abcd:ef01:2345'],
    ['20010db8000000000000000000000000', '2001:db8::'],
    ['000000000000000000000000c0000201', '::c000:201'],
    ['ffffffffffffffffffffffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ]
  for (const [hex, want] of cases) {
    const bytes = Buffer.from(hex, 'hex')
    const got = formatClientAddress(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
    t.equal(got, want, `${hex}: got ${got}, want ${want}`)
  }
})
