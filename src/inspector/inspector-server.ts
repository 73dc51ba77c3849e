// The inspector's own listener (node:http, apart from C1): the page, /events as Server-Sent Events, /exchanges and /har.
import { readFileSync } from 'node:fs'
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import net from 'node:net'
import type { InspectConfig } from '../config/inspect-config.js'
import { ListenError } from '../config/listen-address.js'
import type { ExchangeSource } from './exchange-source.js'
import { harFrame, toHarEntry } from './har.js'

/** A running inspector. */
export interface Inspector {
  /** where it listens, with the real port: 'http://127.0.0.1:41234' */
  readonly url: string
  /** closes the listener and every connection to it, /events streams included */
  close(): Promise<void>
}

/** An /events client this far behind is cut off (its EventSource reconnects and reloads): memory stays bounded. */
const MAX_EVENTS_BACKLOG = 4 * 1024 * 1024

/** The page: plain files shipped beside this module (src/ and dist/ alike), read once. */
const ASSETS: Record<string, { type: string; file: string }> = {
  '/': { type: 'text/html; charset=utf-8', file: 'index.html' },
  '/inspector.css': { type: 'text/css; charset=utf-8', file: 'inspector.css' },
  '/inspector.js': { type: 'text/javascript; charset=utf-8', file: 'inspector.js' },
}

/** Headers of every answer: nothing cached, nothing framed or sniffed, no script but the page's own. */
const SAFE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:",
}

/**
 * Starts the inspector on `config.host`:`config.port`, reading `source`; warns through `logError`
 * when other machines can reach it. Rejects with ListenError when the address cannot be bound.
 */
export async function startInspector<R>(config: InspectConfig, source: ExchangeSource<R>, logError: (line: string) => void): Promise<Inspector> {
  const assets = new Map(Object.entries(ASSETS).map(([path, { type, file }]) =>
    [path, { type, body: readFileSync(new URL(`./page/${file}`, import.meta.url)) }]))
  const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version
  const server = http.createServer((req, res) => {
    try {
      serve(req, res, source, assets, version)
    } catch (err) {
      // a bug here must cost one answer, never the proxy
      if (!res.headersSent) answer(res, 500, `inspector: internal error, ${(err as Error).message}`)
      else res.destroy()
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ListenError(`cannot listen on ${config.host}:${config.port} for the inspector: ${err.code ?? err.message}`)))
    server.listen(config.port, config.host, resolve)
  })
  const { port } = server.address() as net.AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  if (!isLoopback(config.host)) logError(`warning: the inspector on ${url} is reachable from other machines, and shows every request it sees`)
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    }),
  }
}

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function serve<R>(req: IncomingMessage, res: ServerResponse, source: ExchangeSource<R>, assets: Map<string, { type: string; body: Buffer }>,
  version: string): void {
  // a web page elsewhere may point a name it owns at 127.0.0.1 (DNS rebinding) and read this
  // page as its own origin: only an IP literal or localhost is a Host the inspector answers (as Node's --inspect)
  if (!isAddressHost(req.headers.host)) return answer(res, 403, 'inspector: the Host must be an IP address or localhost')
  if (req.method !== 'GET') return answer(res, 405, `inspector: ${req.method} is not served here, only GET`, { allow: 'GET' })
  const path = (req.url ?? '/').split('?')[0] as string
  const asset = assets.get(path)
  if (asset) return void res.writeHead(200, { ...SAFE_HEADERS, 'content-type': asset.type }).end(asset.body)
  if (path === '/events') return streamEvents(res, source)
  if (path === '/exchanges') {
    return void writeJsonList(res, '[', source.records(), (record) => JSON.stringify(source.view(record)), ']')
  }
  if (path === '/har') {
    const now = Date.now()
    const { open, close } = harFrame(version)
    return void writeJsonList(res, open, source.records(), (record) => JSON.stringify(toHarEntry(source.view(record), now)), close)
  }
  answer(res, 404, `inspector: no ${path} here; try /, /events, /exchanges or /har`)
}

function isAddressHost(host: string | undefined): boolean {
  const name = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(host ?? '')
  const hostname = name?.[1] ?? name?.[2]
  return hostname !== undefined && (hostname === 'localhost' || net.isIP(hostname) !== 0)
}

function answer(res: ServerResponse, status: number, line: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SAFE_HEADERS, ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(`${line}\n`)
}

/** Server-Sent Events (WHATWG HTML §9.2): one `data:` line of JSON per exchange event, from now on. */
function streamEvents<R>(res: ServerResponse, source: ExchangeSource<R>): void {
  res.writeHead(200, { ...SAFE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' })
  // a comment line: the client sees the head now, not at the first exchange
  res.write(':\n\n')
  const unsubscribe = source.subscribe((line) => {
    if (res.writableLength > MAX_EVENTS_BACKLOG) return void res.destroy()
    res.write(`data: ${line}\n\n`)
  })
  res.once('close', unsubscribe)
}

/** `open`, the items as JSON comma-separated, `close`: each item made as the client takes the one before. */
async function writeJsonList<T>(res: ServerResponse, open: string, listed: T[] | Promise<T[]>, toJson: (item: T) => string,
  close: string): Promise<void> {
  res.writeHead(200, { ...SAFE_HEADERS, 'content-type': 'application/json; charset=utf-8' })
  res.write(open)
  // the workers' records come over IPC: the head is out meanwhile
  const items = await listed
  for (let i = 0; i < items.length; i++) {
    if (res.write(i === 0 ? toJson(items[i] as T) : `,${toJson(items[i] as T)}`)) continue
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done)
        res.off('close', done)
        resolve()
      }
      res.on('drain', done)
      res.on('close', done)
    })
    if (res.destroyed) return
  }
  res.end(close)
}
