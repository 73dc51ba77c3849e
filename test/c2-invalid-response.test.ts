// A backend's broken response never reaches the client: C1 answers 502, logs the reason, and the failure counts against the backend.
import net from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { gatewayPage } from '../src/c2/gateway-errors.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy, startTestProxy } from './helpers/proxy.js'

/** A raw backend that answers every request head with `bytes` and closes. */
async function startBrokenBackend(t: Test, bytes: string): Promise<{ url: string; requests: () => number }> {
  let requests = 0
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      head = ''
      requests++
      socket.end(bytes)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, requests: () => requests }
}

const broken: Array<[what: string, bytes: string]> = [
  ['a bare LF in the head', 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok'],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok'],
  ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
  ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'],
  ['not HTTP at all', 'SSH-2.0-OpenSSH_9.6\r\n'],
]

t.test('a broken response head is answered 502 with one stderr line naming UPROXY_C2_INVALID_RESPONSE', async (t) => {
  const healthy = await startOrigin(t, (_req, res) => res.end('ok'))
  const routes: string[] = []
  for (let i = 0; i < broken.length; i++) routes.push('--route', `/b${i}=${(await startBrokenBackend(t, (broken[i] as [string, string])[1])).url}`)
  const proxy = await startCliProxy(t, ['--quiet', '--retries', '0', ...routes, healthy.url])
  for (const [i, [what]] of broken.entries()) {
    const before = proxy.stderr().split('\n').filter(Boolean).length
    const res = await request(`${proxy.url}/b${i}/x`, { headersTimeout: 5000, bodyTimeout: 5000 })
    t.equal(res.statusCode, 502, `${what}: got ${res.statusCode}, want 502`)
    t.equal(await res.body.text(), gatewayPage(502), `${what}: none of the backend's bytes reach the client, only uproxy's 502 page`)
    await waitFor(() => proxy.stderr().split('\n').filter(Boolean).length > before, `a stderr line for ${what}`, 3000)
    const line = proxy.stderr().split('\n').filter(Boolean).at(-1) ?? ''
    t.match(line, /UPROXY_C2_INVALID_RESPONSE invalid response from the backend: /, `${what}: got "${line}"`)
  }
  const after = await request(`${proxy.url}/fine`)
  t.equal(await after.body.text(), 'ok', 'the proxy keeps serving')
})

t.test('an invalid response counts against the backend: the next requests go to the other one', async (t) => {
  const bad = await startBrokenBackend(t, 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n')
  const good = await startOrigin(t, (_req, res) => res.end('good'))
  const proxy = await startTestProxy(t, { backend: [bad.url, good.url], maxFails: 1, failTimeout: 60 })
  const bodies: string[] = []
  for (let i = 0; i < 6; i++) {
    const res = await request(`${proxy.url}/`, { headersTimeout: 5000, bodyTimeout: 5000 })
    bodies.push(`${res.statusCode} ${await res.body.text()}`)
  }
  t.same(bodies, Array(6).fill('200 good'), 'the GET that met the broken backend was retried on the good one')
  t.equal(bad.requests(), 1, `the broken backend got ${bad.requests()} requests, want 1: it is out after one failure`)
})
