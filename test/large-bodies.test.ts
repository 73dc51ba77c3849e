// Large bodies cross the proxy byte for byte, streamed both ways: a 200 MiB download and a 20 MiB chunked upload.
import { createHash } from 'node:crypto'
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { drained, hashStream, patternChunks, writePattern } from './helpers/patterned-data.js'
import { startTestProxy } from './helpers/proxy.js'
import { openRaw } from './helpers/raw-socket.js'

const MiB = 1024 * 1024
const DOWNLOAD = 200 * MiB
const UPLOAD = 20 * MiB

for (const framing of ['content-length', 'chunked'] as const) {
  t.test(`a 200 MiB download (${framing}) arrives byte-identical`, async (t) => {
    let sent: Promise<string | undefined> = Promise.resolve(undefined)
    const origin = await startOrigin(t, (_req, res) => {
      res.writeHead(200, framing === 'content-length'
        ? { 'content-type': 'application/octet-stream', 'content-length': String(DOWNLOAD) }
        : { 'content-type': 'application/octet-stream' })
      sent = writePattern(res, DOWNLOAD, `download-${framing}`)
    })
    const proxy = await startTestProxy(t, { backend: origin.url })
    const res = await request(`${proxy.url}/big`, { bodyTimeout: 15_000 })
    t.equal(res.statusCode, 200)
    if (framing === 'content-length') t.equal(res.headers['content-length'], String(DOWNLOAD), 'the backend length is kept')
    else t.equal(res.headers['transfer-encoding'], 'chunked')
    const got = await hashStream(res.body)
    const want = await sent
    t.equal(got.bytes, DOWNLOAD, `got ${got.bytes} bytes, want ${DOWNLOAD}`)
    t.equal(got.sha256, want, 'the client hashed exactly what the backend sent')
  })
}

t.test('a 20 MiB chunked upload reaches the backend byte-identical', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    void hashStream(req).then(({ bytes, sha256 }) => res.end(`${bytes} ${sha256}`))
  }, { streaming: true })
  const proxy = await startTestProxy(t, { backend: origin.url })

  // a raw client, so the upload is certainly chunked: no Content-Length, one chunk per piece
  const client = await openRaw(t, proxy.port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n')
  const hash = createHash('sha256')
  for (const chunk of patternChunks(UPLOAD, 'upload', 100_000)) {
    hash.update(chunk)
    const framed = client.socket.write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))
    if (!framed && (await drained(client.socket, 'the proxy reading the upload')) === 'closed') break
  }
  client.socket.write('0\r\n\r\n')
  const want = hash.digest('hex')

  const reply = await client.waitForText(/\r\n\r\n\d+ [0-9a-f]{64}$/, 20_000)
  t.match(reply, /^HTTP\/1\.1 200 OK\r\n/)
  const [bytes, sha256] = reply.slice(reply.indexOf('\r\n\r\n') + 4).split(' ')
  t.equal(Number(bytes), UPLOAD, `the backend got ${bytes} bytes, want ${UPLOAD}`)
  t.equal(sha256, want, 'the backend hashed exactly what the client sent')
  const seen = origin.seen[0]!
  t.equal(seen.headers['content-length'], undefined, 'no Content-Length was made up for a chunked upload')
  t.equal(seen.headers['transfer-encoding'], 'chunked', 'the upload was streamed on to the backend, chunked')
})
