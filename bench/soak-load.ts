// The soak's mixed load: keep-alive clients, uploads, aborts mid-response and mid-upload, slow readers; every body hashed.
import { createHash } from 'node:crypto'
import http from 'node:http'
import { BODY_SHA256, type Route } from './soak-origin.js'

/** Running totals, read by the sampler. */
export interface LoadTally {
  /** exchanges started */
  requests: number
  /** exchanges that should have succeeded and did not (status, reset, timeout) */
  errors: number
  /** bodies whose sha256 differs from what the origin sent (or, for uploads, from what the client sent) */
  mismatches: number
  /** the first few error descriptions */
  examples: string[]
}

type Action = 'small' | '1mib' | 'stream' | 'slow' | 'upload' | 'abort-response' | 'abort-upload' | 'slow-reader'

/** Relative frequency of each action. */
const MIX: [Action, number][] = [
  ['small', 40], ['1mib', 12], ['stream', 10], ['slow', 4], ['upload', 12], ['abort-response', 8], ['abort-upload', 7], ['slow-reader', 7],
]
const MIX_TOTAL = MIX.reduce((sum, [, w]) => sum + w, 0)
/** An exchange that takes longer than this is an error (a stall). */
const EXCHANGE_MS = 30_000
const MAX_EXAMPLES = 10

/**
 * Runs `clients` loops of exchanges against `proxyUrl` until `until` (ms since epoch), on one
 * keep-alive agent. `random` picks the actions and sizes: a seeded source makes a run repeatable.
 */
export async function runLoad (proxyUrl: string, clients: number, until: number, random: () => number, tally: LoadTally): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients })
  const { port } = new URL(proxyUrl)
  const fail = (what: string): void => {
    tally.errors++
    if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(what)
  }
  const loop = async (): Promise<void> => {
    while (Date.now() < until) {
      let roll = random() * MIX_TOTAL
      const action = (MIX.find(([, w]) => (roll -= w) < 0) ?? MIX[0]!)[0]
      tally.requests++
      const error = await exchange(agent, Number(port), action, random, tally)
      if (error !== undefined) fail(`${action}: ${error}`)
    }
  }
  await Promise.all(Array.from({ length: clients }, loop))
  agent.destroy()
}

/** One exchange; resolves with an error description, or undefined when it went as it should. */
function exchange (agent: http.Agent, port: number, action: Action, random: () => number, tally: LoadTally): Promise<string | undefined> {
  const route: Route | '/upload' = action === 'small' ? '/small' : action === 'stream' ? '/stream' : action === 'slow' ? '/slow'
    : action === 'upload' || action === 'abort-upload' ? '/upload' : '/1mib'
  const upload = route === '/upload' ? uploadBody(action === 'abort-upload' ? 1024 * 1024 : Math.floor(random() * 2 * 1024 * 1024), random) : undefined
  return new Promise((resolve) => {
    let settled = false
    const settle = (error?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(error)
    }
    const req = http.request({ host: '127.0.0.1', port, path: route, method: upload ? 'POST' : 'GET', agent,
      headers: upload ? { 'content-length': upload.length } : {} })
    const timer = setTimeout(() => {
      req.destroy()
      settle(`no end within ${EXCHANGE_MS} ms`)
    }, EXCHANGE_MS)
    req.on('error', (err) => settle(action.startsWith('abort') ? undefined : err.message))
    req.on('response', (res) => {
      res.on('error', (err) => settle(action.startsWith('abort') ? undefined : err.message))
      if (res.statusCode !== 200) {
        res.resume()
        return settle(`got status ${res.statusCode}, want 200`)
      }
      const hash = createHash('sha256')
      let text = ''
      let received = 0
      res.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (route === '/upload') text += chunk.toString('latin1')
        else hash.update(chunk)
        if (action === 'abort-response' && received >= 64 * 1024) {
          // the client leaves mid-response: the proxy must let go of both sides
          req.destroy()
          settle()
        }
        if (action === 'slow-reader') {
          res.pause()
          setTimeout(() => res.resume(), 5)
        }
      })
      res.on('end', () => {
        if (action === 'abort-response') return settle()
        if (route === '/upload') {
          const want = `${upload!.length} ${upload!.sha256}`
          if (text !== want) tally.mismatches++
          return settle(text === want ? undefined : `upload: got ${JSON.stringify(text.slice(0, 80))}, want ${JSON.stringify(want)}`)
        }
        const got = hash.digest('hex')
        if (got !== BODY_SHA256[route]) tally.mismatches++
        settle(got === BODY_SHA256[route] ? undefined : `${route}: got ${received} bytes with another sha256`)
      })
    })
    if (!upload) return void req.end()
    writeUpload(req, upload.chunks, action === 'abort-upload', settle)
  })
}

/** Writes the upload with backpressure; `abort`: leave after a quarter of it, mid-upload. */
function writeUpload (req: http.ClientRequest, chunks: Buffer[], abort: boolean, settle: (error?: string) => void): void {
  let i = 0
  const next = (): void => {
    while (i < chunks.length) {
      if (abort && i >= chunks.length / 4) {
        req.destroy()
        return settle()
      }
      if (!req.write(chunks[i++])) return void req.once('drain', next)
    }
    req.end()
  }
  next()
}

/** An upload body of `size` bytes in 64 KiB chunks, and its sha256. */
function uploadBody (size: number, random: () => number): { chunks: Buffer[]; length: number; sha256: string } {
  const chunks: Buffer[] = []
  const hash = createHash('sha256')
  for (let left = size; left > 0; left -= 64 * 1024) {
    const chunk = Buffer.allocUnsafe(Math.min(left, 64 * 1024))
    // a random byte every 4 is plenty to make uploads differ, and cheap
    for (let j = 0; j < chunk.length; j++) chunk[j] = (j & 3) === 0 ? Math.floor(random() * 256) : (chunk[j - 1]! + j) & 0xff
    hash.update(chunk)
    chunks.push(chunk)
  }
  return { chunks, length: size, sha256: hash.digest('hex') }
}
