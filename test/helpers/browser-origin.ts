// A loopback origin for the browser test: node:http serving test/fixtures/site and recording each request.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

/** The folder served: the fixture site (index.html, summary.html, style.css, globe.png). */
export const SITE_DIR = fileURLToPath(new URL('../fixtures/site', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
}

export interface SeenRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
}

export interface SiteOrigin {
  /** 'http://127.0.0.1:PORT' */
  url: string
  /** 'host:port' as a client of this origin should send it in Host */
  host: string
  /** every request the origin received, in order */
  seen: SeenRequest[]
}

/**
 * Starts the site origin on 127.0.0.1 and a free port; `/` is index.html, unknown paths are 404.
 * The test's teardown closes it, dropping any keep-alive connections.
 */
export async function startSiteOrigin(t: Test): Promise<SiteOrigin> {
  const seen: SeenRequest[] = []
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    seen.push({ method: req.method ?? '', path, headers: req.headers })
    const file = normalize(join(SITE_DIR, path === '/' ? 'index.html' : decodeURIComponent(path)))
    const type = CONTENT_TYPES[extname(file)]
    if (!file.startsWith(SITE_DIR.endsWith(sep) ? SITE_DIR : SITE_DIR + sep) || !type) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
      return
    }
    try {
      const body = await readFile(file)
      res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, seen }
}
