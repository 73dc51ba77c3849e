// Runs generated backend responses through uproxy's C2 parser and through Node's llhttp client, and compares the verdicts.
import http from 'node:http'
import net from 'node:net'
import { ResponseParser } from '../../src/c2/response-parser.js'
import { generateResponseCase, type ResponseCase } from './response-generators.js'

/** What one parser made of a response: rejected, or accepted with what it read. */
export interface Verdict {
  accepted: boolean
  status?: number
  /** flat [name, value, …], names lowercase, values Latin-1 */
  headers?: string[]
  body?: Buffer
  trailers?: string[]
  /** 1xx statuses reported before the final head, 100 left out */
  informational?: number[]
  /** why it was rejected */
  error?: string
}

/** Feeds the case's bytes to uproxy's parser, read by read as the splits cut them, then EOF. */
export function parseWithUproxy(c: ResponseCase): Verdict {
  const verdict: Verdict = { accepted: false, informational: [] }
  const body: Buffer[] = []
  let ended = false
  const parser = new ResponseParser({
    onInformational: (status) => void verdict.informational?.push(status),
    onHead: (head) => {
      verdict.status = head.status
      verdict.headers = [...head.headers]
    },
    onBody: (chunk) => void body.push(Buffer.from(chunk)),
    onEnd: (trailers) => {
      verdict.trailers = [...trailers]
      ended = true
    },
  })
  parser.start(c.method === 'HEAD')
  let from = 0
  for (const to of [...c.splits, c.bytes.length]) {
    const err = parser.execute(c.bytes.subarray(from, to))
    from = to
    if (err) return { accepted: false, error: err.message }
  }
  const err = parser.finish()
  if (err) return { accepted: false, error: err.message }
  if (!ended) return { accepted: false, error: 'no end' }
  return { ...verdict, accepted: true, body: Buffer.concat(body) }
}

/** A loopback server that answers `GET /ID` with case ID's raw bytes and closes. */
export async function startRawOrigin(cases: Map<number, ResponseCase>): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      const id = Number(/^\w+ \/(\d+) /.exec(head)?.[1])
      const c = cases.get(id)
      socket.removeAllListeners('data')
      if (c) socket.end(c.bytes)
      else socket.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}

/** Asks the raw origin for the case through Node's http client (llhttp), with no agent. */
export function parseWithLlhttp(c: ResponseCase, port: number, timeoutMs = 10_000): Promise<Verdict> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (v: Verdict) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(v)
    }
    const informational: number[] = []
    const req = http.request({ host: '127.0.0.1', port, path: `/${c.id}`, method: c.method, agent: false, maxHeaderSize: 64 * 1024 })
    const timer = setTimeout(() => {
      req.destroy()
      settle({ accepted: false, error: `no verdict within ${timeoutMs} ms` })
    }, timeoutMs)
    req.on('information', (info) => {
      if (info.statusCode !== 100) informational.push(info.statusCode)
    })
    req.on('error', (err) => settle({ accepted: false, error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }))
    req.on('response', (res) => {
      const body: Buffer[] = []
      let failed: string | undefined
      res.on('data', (chunk: Buffer) => body.push(chunk))
      res.on('error', (err) => (failed = err.message))
      res.on('close', () => {
        if (failed || !res.complete) return settle({ accepted: false, error: failed ?? 'incomplete' })
        settle({
          accepted: true,
          status: res.statusCode,
          headers: lowerNames(res.rawHeaders),
          body: Buffer.concat(body),
          trailers: lowerNames(res.rawTrailers),
          informational,
        })
      })
      res.resume()
    })
    req.end()
  })
}

function lowerNames(raw: string[]): string[] {
  return raw.map((item, i) => (i % 2 === 0 ? item.toLowerCase() : item))
}

/**
 * Where uproxy is stricter than llhttp on purpose: each applies to cases carrying its tag, and
 * there uproxy must reject whatever llhttp says.
 */
export const STRICTER_THAN_LLHTTP: readonly { tag: string; why: string }[] = [
  {
    tag: 'te-coding',
    why: 'a Transfer-Encoding other than plain "chunked" (gzip, "gzip, chunked", …): llhttp reads such a body to EOF or ' +
      'de-chunks it, but the proxy would hand the client bytes still encoded and no header naming the coding; nginx ' +
      'answers 502 ("upstream sent unknown Transfer-Encoding") and so does uproxy',
  },
  {
    tag: 'reason-ctl',
    why: 'a NUL, DEL or other control byte in the reason phrase: llhttp takes any byte up to CR, RFC 9112 §4 allows ' +
      'only HTAB, SP, VCHAR and obs-text, and C1 would copy the phrase into its own status line',
  },
  {
    tag: 'version-2.0',
    why: '"HTTP/2.0" in an HTTP/1 status line: llhttp takes it as a version it knows; over HTTP/1.1 framing it can only ' +
      'be a confused backend, and uproxy takes HTTP/1.0 and HTTP/1.1 only',
  },
  {
    tag: 'status-below-100',
    why: 'status 000–099: llhttp takes any three digits; RFC 9110 §15 codes start at 100, and C1 could not relay such a status',
  },
]

/** undefined when the verdicts agree (after the documented differences), else a line saying how they differ. */
export function compareVerdicts(c: ResponseCase, ours: Verdict, theirs: Verdict): string | undefined {
  const what = `case ${c.id} [${c.tags.join(' ')}] ${c.method} ${JSON.stringify(c.bytes.subarray(0, 160).toString('latin1'))}`
  const stricter = STRICTER_THAN_LLHTTP.find((d) => c.tags.includes(d.tag))
  if (stricter) return ours.accepted ? `${what}: got accepted, want rejected (${stricter.tag})` : undefined
  if (ours.accepted !== theirs.accepted) {
    return `${what}: got ${ours.accepted ? 'accepted' : `rejected (${ours.error})`}, want ${theirs.accepted ? 'accepted' : `rejected (${theirs.error})`} as llhttp`
  }
  if (!ours.accepted) return undefined
  if (ours.status !== theirs.status) return `${what}: got status ${ours.status}, want ${theirs.status}`
  if (JSON.stringify(ours.headers) !== JSON.stringify(theirs.headers)) {
    return `${what}: got headers ${JSON.stringify(ours.headers)}, want ${JSON.stringify(theirs.headers)}`
  }
  if (!ours.body?.equals(theirs.body as Buffer)) return `${what}: got a body of ${ours.body?.length} bytes, want ${theirs.body?.length} (or different bytes)`
  if (JSON.stringify(ours.trailers) !== JSON.stringify(theirs.trailers)) {
    return `${what}: got trailers ${JSON.stringify(ours.trailers)}, want ${JSON.stringify(theirs.trailers)}`
  }
  if (JSON.stringify(ours.informational) !== JSON.stringify(theirs.informational)) {
    return `${what}: got 1xx ${JSON.stringify(ours.informational)}, want ${JSON.stringify(theirs.informational)}`
  }
  return undefined
}

/** What a run found: how many cases, how many each parser accepted, and every mismatch. */
export interface DifferentialReport {
  count: number
  acceptedByUs: number
  acceptedByLlhttp: number
  mismatches: string[]
}

/** Generates `count` cases from `seed` and compares both parsers on each, `concurrency` at a time. */
export async function runResponseDifferential(seed: number, count: number, concurrency = 32): Promise<DifferentialReport> {
  const cases = new Map<number, ResponseCase>()
  const origin = await startRawOrigin(cases)
  const report: DifferentialReport = { count, acceptedByUs: 0, acceptedByLlhttp: 0, mismatches: [] }
  let next = 0
  const worker = async () => {
    while (next < count) {
      const c = generateResponseCase(seed, next++)
      cases.set(c.id, c)
      const ours = parseWithUproxy(c)
      const theirs = await parseWithLlhttp(c, origin.port)
      cases.delete(c.id)
      if (ours.accepted) report.acceptedByUs++
      if (theirs.accepted) report.acceptedByLlhttp++
      const mismatch = compareVerdicts(c, ours, theirs)
      if (mismatch) report.mismatches.push(mismatch)
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    await origin.close()
  }
  return report
}
