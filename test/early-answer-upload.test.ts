// A backend that answers before reading the upload: the client gets that answer and the proxy keeps serving.
import net from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startCliProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

const MiB = 1024 * 1024

/** Writes `total` body bytes to `socket` in 64 KiB pieces, chunk-framed or not, honouring backpressure; stops when it closes. */
async function upload(socket: net.Socket, total: number, chunked: boolean): Promise<number> {
  const data = Buffer.alloc(64 * 1024, 'a')
  const chunk = chunked ? Buffer.concat([Buffer.from('10000\r\n'), data, Buffer.from('\r\n')]) : data
  let sent = 0
  while (sent < total && !socket.destroyed) {
    sent += data.length
    const last = chunked && sent >= total
    if (!socket.write(last ? Buffer.concat([chunk, Buffer.from('0\r\n\r\n')]) : chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done)
          socket.off('close', done)
          resolve()
        }
        socket.once('drain', done)
        socket.once('close', done)
      })
    }
  }
  return sent
}

for (const [framing, head] of [
  ['content-length', `Content-Length: ${8 * MiB}\r\n`],
  ['chunked', 'Transfer-Encoding: chunked\r\n'],
] as const) {
  t.test(`a ${framing} upload of 8 MiB to a backend that answers at once (401/413 style)`, async (t) => {
    const origin = await startOrigin(t, (req, res) => {
      if (req.method === 'GET') return void res.end('alive')
      res.statusCode = 413
      res.end('early')
    }, { streaming: true }) // answers without reading the body
    // the CLI in a child process: a crash shows as its exit, not as this test's
    const proxy = await startCliProxy(t, ['--quiet', origin.url])
    const port = Number(new URL(proxy.url).port)
    const client = await openRaw(t, port, `POST /upload HTTP/1.1\r\nHost: a\r\n${head}\r\n`)
    const body = upload(client.socket, 8 * MiB, framing === 'chunked')
    const text = await client.waitForText(/\r\n\r\nearly/, 10_000)
    t.match(text, /^HTTP\/1\.1 413 /, 'the client got the backend\'s early answer')
    await body
    // every byte the client sent after the answer was read and dropped, and the process is still there
    const after = await request(`${proxy.url}/after`)
    t.equal(after.statusCode, 200)
    t.equal(await after.body.text(), 'alive', 'the next request is served')
    t.equal(proxy.child.exitCode, null, `the proxy is still running; stderr: ${proxy.stderr()}`)
    t.notMatch(proxy.stderr(), /internal error|Error:/, 'no internal error was logged')
  })
}
