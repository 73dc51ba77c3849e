// --read-timeout: a backend that goes silent mid-body has its response cut, visibly, and its connection closed.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { startCliProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

t.test('a backend silent for longer than --read-timeout mid-body: the client sees a cut response', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.write('the first 29 bytes of a body ')
    // and then nothing, for ever
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--read-timeout', '1'])
  const client = await openRaw(t, Number(new URL(run.url).port), 'GET /stall HTTP/1.1\r\nHost: x\r\n\r\n')
  const startedAt = performance.now()
  await client.waitForText(/the first 29 bytes/, 5000)
  await client.waitForClose(10_000)
  const seconds = (performance.now() - startedAt) / 1000
  t.ok(seconds >= 0.8 && seconds < 8, `cut about a second after the last byte, got ${seconds.toFixed(2)} s`)
  t.notMatch(client.received().toString('latin1'), /the first 29 bytes of a body .{71}/s, 'never a complete-looking body')
  await waitFor(() => run.stderr().includes('UPROXY_C2_READ_TIMEOUT'), 'one stderr line naming the read timeout')
  await waitFor(() => origin.sockets.size === 0, 'the backend connection to close')
})

t.test('a backend that sends its head and no body byte within --read-timeout: 504', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-length': '10' })
    res.flushHeaders()
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--read-timeout', '1'])
  const res = await request(`${run.url}/head-only`)
  t.equal(res.statusCode, 504, 'nothing reached the client yet, so it gets an answer saying why')
  await res.body.text()
})

t.test('a stream with pauses shorter than --read-timeout is not cut', async (t) => {
  const origin = await startOrigin(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    let n = 0
    const timer = setInterval(() => {
      res.write(`tick ${++n}\n`)
      if (n === 4) {
        clearInterval(timer)
        res.end()
      }
    }, 300)
  })
  const run = await startCliProxy(t, [origin.url, '--quiet', '--read-timeout', '1'])
  const res = await request(`${run.url}/ticks`)
  t.equal(await res.body.text(), 'tick 1\ntick 2\ntick 3\ntick 4\n', 'the whole stream, 1.2 s in all')
})
