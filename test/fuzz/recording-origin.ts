// The fuzz origin: a node:http server on 127.0.0.1:0 that records every request it receives, by case token.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseToken, quoteBytes } from './request-case.js'

/** One request as the origin received it. */
export interface Received {
  /** the case token found in the target or in X-Fz, or '' when there is none */
  token: string
  method: string
  /** the target as received (latin1), cut at 4 KiB */
  url: string
  /** raw header names and values as received (latin1) */
  rawHeaders: string[]
  /** the body arrived whole (the origin saw its end) */
  completed: boolean
  bodyBytes: number
}

/** The header every origin answer carries, naming the token it answers: how a client tells the origin's answers from the proxy's. */
export const ORIGIN_MARK = 'x-fz-origin'

export interface RecordingOrigin {
  url: string
  /** every request received, by token ('' for requests that carried none) */
  received: Map<string, Received[]>
  /** errors of the origin's own HTTP parser on bytes the proxy sent (quoted): a strict parser refused what the proxy forwarded */
  parseErrors: { code: string; bytes: string }[]
  /** requests whose body has not ended or aborted yet */
  open(): number
  close(): Promise<void>
}

/**
 * Starts the origin. `/health-N` answers `health-N`; a target with `/early/` answers at once
 * without reading the body (the case where uWS keeps delivering the upload after the
 * response ended); anything else reads the body and answers `ok TOKEN BYTES`.
 */
export async function startRecordingOrigin(): Promise<RecordingOrigin> {
  const received = new Map<string, Received[]>()
  const parseErrors: RecordingOrigin['parseErrors'] = []
  let open = 0
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? ''
    if (/^\/health-\d+$/.test(url)) return void res.end(url.slice(1))
    const fromHeader = typeof req.headers['x-fz'] === 'string' ? req.headers['x-fz'] : ''
    const found = parseToken(url) ?? parseToken(fromHeader)
    const token = found ? `fz${found[0].toString(36)}_${found[1]}` : ''
    const record: Received = {
      token, method: req.method ?? '', url: url.slice(0, 4096), rawHeaders: req.rawHeaders, completed: false, bodyBytes: 0,
    }
    const list = received.get(token) ?? []
    list.push(record)
    received.set(token, list)
    open++
    let settled = false
    const settle = () => {
      if (!settled) open--
      settled = true
    }
    res.setHeader(ORIGIN_MARK, token || 'none')
    req.on('data', (chunk: Buffer) => (record.bodyBytes += chunk.length))
    req.on('end', () => {
      record.completed = true
      settle()
      if (!url.includes('/early/')) res.end(`ok ${token} ${record.bodyBytes}`)
    })
    req.on('close', settle)
    req.on('error', settle)
    res.on('error', () => {})
    if (url.includes('/early/')) res.end('early')
  }
  const server = http.createServer({ maxHeaderSize: 256 * 1024 }, onRequest)
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    // a reset or an end mid-request is the proxy aborting an exchange, not a parse error
    if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE') return void socket.destroy()
    parseErrors.push({ code: err.code ?? err.message, bytes: quoteBytes(err.rawPacket?.toString('latin1') ?? '', 800) })
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    parseErrors,
    open: () => open,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
