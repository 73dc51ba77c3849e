// The inspector's test bench: a proxy with the inspector on, an origin and dead backends, and exchanges of every kind sent through it.
import http from 'node:http'
import net from 'node:net'
import type { Test } from 'tap'
import type { Proxy, StartOptions } from '../../src/index.js'
import type { ExchangeRecord } from '../../src/inspector/exchange-record.js'
import type { InspectorEvent } from '../../src/inspector/recorder.js'
import { open, send } from './http-client.js'
import { startOrigin, type Origin } from './origin.js'
import { startTestProxy } from './proxy.js'
import { rawExchange } from './raw-socket.js'
import { waitFor, within } from './wait.js'

/** Chunks the origin's /stream sends, one per timer turn. */
export const STREAM_CHUNKS = 8

/** A proxy with the inspector on 127.0.0.1:0 in front of an origin, and routes to backends that refuse connections. */
export interface InspectedSite {
  proxy: Proxy
  inspector: string
  origin: Origin
  /** a backend nobody listens on */
  down: string
}

/** A port that was free a moment ago, closed again: connecting to it is refused. */
async function deadBackend(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/**
 * The origin answers /fast at once, streams /stream in STREAM_CHUNKS chunks, sends /hang's head
 * and one chunk and never ends, never answers /slow-head, and sets a cookie on /secret.
 * /down goes to a dead backend, /retry to a dead one and the origin (round-robin).
 */
export async function startInspectedSite(t: Test, options: StartOptions = {}): Promise<InspectedSite> {
  const origin = await startOrigin(t, (req, res) => {
    const path = (req.url ?? '').replace(/\?.*/, '')
    if (path === '/stream' || path === '/hang') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      let sent = 0
      const next = () => {
        res.write(`chunk ${sent}\n`)
        if (path === '/hang') return
        if (++sent < STREAM_CHUNKS) setTimeout(next, 5)
        else res.end()
      }
      return next()
    }
    if (path === '/slow-head') return
    if (path === '/secret') res.setHeader('set-cookie', 'session=origin-secret')
    res.end(`origin says ${path}`)
  })
  const down = await deadBackend()
  const proxy = await startTestProxy(t, {
    backend: origin.url,
    routes: [{ prefix: '/down', backend: down }, { prefix: '/retry', backend: `${await deadBackend()},${origin.url}` }],
    timeout: 0.5,
    inspect: '127.0.0.1:0',
    ...options,
  })
  return { proxy, inspector: proxy.inspectorUrl as string, origin, down }
}

/** The records the inspector keeps, oldest first. */
export async function readRecords(inspector: string): Promise<ExchangeRecord[]> {
  const answer = await send(`${inspector}/exchanges`)
  return JSON.parse(answer.body) as ExchangeRecord[]
}

/** Waits for a record that `test` accepts (within 5 s); `what` names it in the failure. */
export async function waitForRecord(inspector: string, test: (record: ExchangeRecord) => boolean, what: string): Promise<ExchangeRecord> {
  let found: ExchangeRecord | undefined
  await waitFor(async () => (found = (await readRecords(inspector)).find(test)) !== undefined, what)
  return found as ExchangeRecord
}

/** The paths of the exchanges sendEveryKind sends, by kind. */
export const KINDS = {
  fast: '/fast?q=1',
  streaming: '/stream',
  aborted: '/hang',
  down: '/down/x',
  timeout: '/slow-head',
  refused: '/refused',
} as const

/**
 * Sends one exchange of every kind and waits until each has ended in the inspector: fast,
 * streaming, aborted by the client mid-body, backend down (502), backend silent (504), refused by
 * uproxy (two Host headers: 400), and /retry until one went again on another backend (at most twice).
 */
export async function sendEveryKind(site: InspectedSite): Promise<void> {
  const { proxy, inspector } = site
  await send(`${proxy.url}${KINDS.fast}`, { headers: { authorization: 'Bearer top-secret', cookie: 'id=client-secret' } })
  await send(`${proxy.url}${KINDS.streaming}`)
  const hanging = await open(`${proxy.url}${KINDS.aborted}`)
  await within(hanging.firstChunk, 5000, 'the first chunk of /hang')
  hanging.destroy()
  await send(`${proxy.url}${KINDS.down}`)
  await send(`${proxy.url}${KINDS.timeout}`)
  const port = new URL(proxy.url).port
  await rawExchange(Number(port), `GET ${KINDS.refused} HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n`)
  for (let i = 0; i < 2; i++) {
    await send(`${proxy.url}/retry/${i}`)
    if ((await readRecords(inspector)).some((r) => r.path === `/retry/${i}` && r.retried.length > 0)) break
  }
  await waitForRecord(inspector, (r) => r.path === KINDS.aborted && r.outcome !== 'running', 'the aborted exchange to end')
  await send(`${proxy.url}/secret`)
}

/** Every event /events sends from now on, parsed; the stream closes at teardown. */
export async function followEvents(t: Test, inspector: string): Promise<InspectorEvent[]> {
  return (await openEvents(t, inspector)).events
}

/** As followEvents, and `stop` closes the stream before teardown. */
export async function openEvents(t: Test, inspector: string): Promise<{ events: InspectorEvent[]; stop: () => void }> {
  const events: InspectorEvent[] = []
  const req = http.get(`${inspector}/events`, { agent: false })
  const stop = () => void req.destroy()
  t.teardown(stop)
  const [res] = await within(new Promise<[http.IncomingMessage]>((resolve) => req.once('response', (r) => resolve([r]))), 5000, '/events to answer')
  if (res.headers['content-type'] !== 'text/event-stream; charset=utf-8') throw new Error(`/events: got ${res.headers['content-type']}, want text/event-stream`)
  let buffered = ''
  res.setEncoding('utf8').on('data', (text: string) => {
    buffered += text
    let end
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as InspectorEvent)
    }
  })
  res.on('error', () => {})
  return { events, stop }
}
