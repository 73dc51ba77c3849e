// Several loopback origins that each answer with their own name, and a client that reports who served.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Test } from 'tap'
import { Client, request } from 'undici'

/** An origin that answers every request with its name (unless `hold` keeps the request open). */
export interface NamedOrigin {
  name: string
  url: string
  port: number
  /** paths of the requests that reached it */
  seen: string[]
  /** requests held open by a `/hold` path, answered by release() */
  held: ServerResponse[]
  /** when true, every request's connection is destroyed once its head arrived: a reset mid-exchange */
  cut: boolean
  release(): void
  /** closes the server and every connection: the backend is gone (refused from now on) */
  kill(): Promise<void>
  /** listens again on the same port */
  revive(): Promise<void>
}

/**
 * Starts one origin per name on 127.0.0.1, closed at teardown. `/hold…` paths are held until
 * release(); `/healthz` answers `health[name]` (200 unless set).
 */
export async function startNamedOrigins(t: Test, names: string[], health: Record<string, number> = {}): Promise<NamedOrigin[]> {
  return Promise.all(names.map((name) => startNamed(t, name, health)))
}

async function startNamed(t: Test, name: string, health: Record<string, number>): Promise<NamedOrigin> {
  const self = { cut: false }
  const seen: string[] = []
  const held: ServerResponse[] = []
  const sockets = new Set<Socket>()
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    seen.push(req.url ?? '')
    if (req.url === '/healthz') return void res.writeHead(health[name] ?? 200).end(`${name} health`)
    if (self.cut) return void req.socket.destroy()
    if (req.url?.startsWith('/hold')) return void held.push(res)
    req.on('end', () => res.end(name))
  }
  let server = http.createServer(onRequest)
  const listen = async (port: number) => {
    server = http.createServer(onRequest)
    server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
    return (server.address() as AddressInfo).port
  }
  const port = await listen(0)
  const kill = () => new Promise<void>((resolve) => {
    for (const res of held.splice(0)) res.destroy()
    server.closeAllConnections()
    server.close(() => resolve())
  })
  t.teardown(() => (server.listening ? kill() : undefined))
  return Object.assign(self, {
    name, url: `http://127.0.0.1:${port}`, port, seen, held, kill,
    release: () => { for (const res of held.splice(0)) res.end(name) },
    revive: async () => void await listen(port),
  })
}

/** GET (or `method`) through the proxy; resolves with the status and the name of the origin that answered. */
export async function whoServes(url: string, path = '/', opts: { method?: string; body?: string; client?: Client } = {}):
  Promise<{ status: number; name: string }> {
  const options = { method: (opts.method ?? 'GET') as 'GET', body: opts.body }
  const res = opts.client ? await opts.client.request({ path, ...options }) : await request(`${url}${path}`, options)
  const name = await res.body.text()
  return { status: res.statusCode, name: res.statusCode === 200 ? name : '' }
}

/** An undici Client to the proxy bound to `localAddress` (127.0.0.2 etc.: a distinct client address; undici takes it as a Client option, not under `connect`). */
export function clientFrom(t: Test, url: string, localAddress: string): Client {
  const client = new Client(url, { localAddress })
  t.teardown(() => client.destroy())
  return client
}
