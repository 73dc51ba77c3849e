// A slow client pauses the backend: the proxy's memory stays bounded while a fast backend sends 500 MiB.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { writePattern } from './helpers/patterned-data.js'
import { startCliProxy } from './helpers/proxy.js'

const MiB = 1024 * 1024
const TOTAL = 500 * MiB
/** Growth over idle that would mean the proxy buffers instead of pausing the backend. */
const MAX_GROWTH = 150 * MiB

/** A process's resident set in bytes, from /proc/PID/status (VmRSS is in kB). */
function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
/** A pause on purpose, not a wait: it paces the slow client (a stall, then reads with breaks). */
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// Content-Length goes through uWS tryEnd (partial writes resumed from the write offset), chunked through write
for (const framing of ['content-length', 'chunked'] as const) {
  t.test(`a slow client reading 500 MiB (${framing}) keeps the proxy's memory bounded`, async (t) => {
    let sent: Promise<string | undefined> = Promise.resolve(undefined)
    const backend = { written: 0 }
    const origin = await startOrigin(t, (req, res) => {
      if (req.url === '/warm-up') return void res.end('warm')
      res.writeHead(200, framing === 'content-length' ? { 'content-length': String(TOTAL) } : {})
      // as fast as the proxy lets it: write again as soon as the socket drains
      sent = writePattern(res, TOTAL, `slow-client-${framing}`, backend)
    })
    const proxy = await startCliProxy(t, ['--quiet', origin.url])
    const pid = proxy.child.pid!
    const warm = await request(`${proxy.url}/warm-up`)
    t.equal(await warm.body.text(), 'warm')
    const idle = rssOf(pid)

    let peak = idle
    const sampler = setInterval(() => {
      // the proxy may have died, which the byte count below reports
      if (proxy.child.exitCode === null) peak = Math.max(peak, rssOf(pid))
    }, 50)
    t.teardown(() => clearInterval(sampler))

    // a plain socket, not openRaw: that one keeps every byte, and 500 MiB must not stay in the test
    const socket = net.connect(Number(new URL(proxy.url).port), '127.0.0.1')
    t.teardown(() => socket.destroy())
    let closed = false
    socket.on('close', () => (closed = true))
    socket.on('error', () => {})
    socket.write('GET /huge HTTP/1.1\r\nHost: x\r\n\r\n')
    // read nothing for 2 s while the backend pushes as fast as it can, then read with pauses
    socket.pause()
    await tick(2000)
    const afterStall = rssOf(pid)
    // all the backend wrote while the client read nothing sits in socket buffers or the proxy
    t.ok(backend.written < MAX_GROWTH,
      `the backend was paused: it had written ${mib(backend.written)} while the client read nothing, want < ${mib(MAX_GROWTH)}`)

    const hash = createHash('sha256')
    let head = ''
    let bodyBytes = 0
    let pending = Buffer.alloc(0)
    const dechunk = makeDechunker()
    const onData = (chunk: Buffer) => {
      if (!head) {
        pending = Buffer.concat([pending, chunk])
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        head = pending.subarray(0, end).toString('latin1')
        chunk = pending.subarray(end + 4)
      }
      if (framing === 'chunked') chunk = dechunk(chunk)
      bodyBytes += chunk.length
      hash.update(chunk)
    }
    socket.on('data', onData)
    // read 50 ms, pause 10 ms, until all arrived, the connection closed, or nothing came for 5 s
    let progressAt = Date.now()
    let lastBytes = 0
    while (bodyBytes < TOTAL && !closed && Date.now() - progressAt < 5000) {
      socket.resume()
      await tick(50)
      socket.pause()
      await tick(10)
      if (bodyBytes !== lastBytes) [progressAt, lastBytes] = [Date.now(), bodyBytes]
    }
    socket.off('data', onData)
    clearInterval(sampler)

    t.match(head, /^HTTP\/1\.1 200 OK/)
    t.match(head, framing === 'chunked' ? /\r\ntransfer-encoding: chunked/i : new RegExp(`\r\ncontent-length: ${TOTAL}`, 'i'))
    t.equal(bodyBytes, TOTAL, `the client got ${bodyBytes} body bytes, want ${TOTAL}`)
    // the backend has finished only if everything went through; otherwise it is still waiting to write
    const want = bodyBytes >= TOTAL ? await sent : 'the backend had not finished'
    t.equal(hash.digest('hex'), want, 'byte-identical to what the backend sent')
    t.ok(peak - idle < MAX_GROWTH,
      `proxy RSS grew ${mib(peak - idle)} over idle ${mib(idle)} (${mib(afterStall - idle)} after the 2 s stall), want < ${mib(MAX_GROWTH)}`)
  })
}

/**
 * A function that strips chunked framing as it streams by: `size\r\n data \r\n … 0\r\n\r\n`,
 * sizes and CRLFs possibly split between TCP reads.
 */
function makeDechunker(): (input: Buffer) => Buffer {
  let left = 0
  let sizeLine = ''
  let crlf = 0
  return (input) => {
    const out: Buffer[] = []
    let i = 0
    while (i < input.length) {
      if (crlf > 0) {
        const skip = Math.min(crlf, input.length - i)
        crlf -= skip
        i += skip
      } else if (left > 0) {
        const take = Math.min(left, input.length - i)
        out.push(input.subarray(i, i + take))
        left -= take
        i += take
        if (left === 0) crlf = 2
      } else {
        const lf = input.indexOf(10, i)
        if (lf < 0) {
          sizeLine += input.subarray(i).toString('latin1')
          break
        }
        sizeLine += input.subarray(i, lf).toString('latin1')
        i = lf + 1
        left = parseInt(sizeLine.trim(), 16)
        sizeLine = ''
        if (left === 0) break
      }
    }
    return Buffer.concat(out)
  }
}
