// A plain HTTP client for the tutorial tests: one request on a fresh connection, the answer as curl -i shows it.
import http from 'node:http'
import { once } from 'node:events'

/** An answer as curl -i shows it. */
export interface Answer {
  status: number
  statusText: string
  headers: http.IncomingHttpHeaders
  /** names and values as sent, in order, names lowercased */
  rawHeaders: [string, string][]
  body: string
}

/** Sends one request on a fresh connection (like curl) and reads the whole answer; fails after 10 s. */
export async function send(url: string, options: { method?: string, headers?: Record<string, string>,
  body?: string | Buffer } = {}): Promise<Answer> {
  const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false })
  req.setTimeout(10_000, () => req.destroy(new Error(`no complete answer from ${url} within 10 s`)))
  req.end(options.body)
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  req.on('error', () => {}) // answered before the upload was over: the rest of it may hit a closed socket
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  const raw: [string, string][] = []
  for (let i = 0; i < res.rawHeaders.length; i += 2) raw.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!])
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers: res.headers,
    rawHeaders: raw,
    body: Buffer.concat(chunks).toString(),
  }
}

/** A response whose head has arrived, its body still coming. */
export interface OpenResponse {
  res: http.IncomingMessage
  /** resolves with the first body chunk */
  firstChunk: Promise<string>
  /** resolves with the whole body; rejects if the connection breaks first */
  body: Promise<string>
  /** destroys the client's socket, as a client that goes away does */
  destroy(): void
}

/** Starts a GET and resolves once the head has arrived, leaving the body to be watched. */
export async function open(url: string): Promise<OpenResponse> {
  const req = http.get(url, { agent: false })
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  res.setEncoding('utf8')
  const firstChunk = once(res, 'data').then(([c]) => c as string)
  const body = (async () => {
    let body = ''
    for await (const c of res) body += c as string
    return body
  })()
  body.catch(() => {}) // some tests expect it to fail and never look
  return { res, firstChunk, body, destroy: () => req.destroy() }
}
