// A WebSocket exchange is load on its backend while it lasts, and its handshake counts for the backend's health, as HTTP ones do.
import type { Server } from 'node:http'
import net from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import WebSocket from 'ws'
import { startTestProxy } from './helpers/proxy.js'
import { waitFor } from './helpers/wait.js'
import { startWsBackend, type WsBackend } from './helpers/ws-backend.js'

/** A ws backend that also answers plain HTTP with its name. */
async function namedWsBackend(t: Test, name: string): Promise<WsBackend> {
  const backend = await startWsBackend(t)
  ;(backend.server.options.server as Server).on('request', (_req, res) => res.end(name))
  return backend
}

/** A port nothing listens on: connections to it are refused. */
async function deadUrl(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

async function who(url: string): Promise<string> {
  const res = await request(url)
  return `${res.statusCode === 200 ? '' : res.statusCode}${await res.body.text()}`
}

function open(t: Test, url: string): Promise<WebSocket> {
  const ws = new WebSocket(url)
  t.teardown(() => ws.terminate())
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

t.test('least-connections: a held WebSocket is load, so plain requests go to the other backend', async (t) => {
  const a = await namedWsBackend(t, 'a')
  const b = await namedWsBackend(t, 'b')
  const proxy = await startTestProxy(t, { backend: [a.url, b.url], balance: 'least-connections' })
  const ws = await open(t, proxy.url.replace(/^http/, 'ws') + '/held')
  const holder = a.sockets.length === 1 ? 'a' : 'b'
  const other = holder === 'a' ? 'b' : 'a'
  let got = ''
  for (let i = 0; i < 4; i++) got += await who(`${proxy.url}/plain`)
  t.equal(got, other.repeat(4), `with the WebSocket held on ${holder}, every request went to ${other}`)
  ws.close()
  await waitFor(() => (holder === 'a' ? a : b).sockets.every((s) => s.readyState === WebSocket.CLOSED), 'the tunnel to close')
})

t.test('a WebSocket handshake refused by a dead backend counts against its health', async (t) => {
  const dead = await deadUrl()
  const alive = await namedWsBackend(t, 'alive')
  // no retries, one failure takes a backend out: only health keeps requests off the dead one
  const proxy = await startTestProxy(t, { backend: [dead, alive.url], balance: 'round-robin', retries: 0, maxFails: 1, failTimeout: 60 })
  const refused = new WebSocket(proxy.url.replace(/^http/, 'ws') + '/first')
  refused.on('error', () => {}) // the 502 is the point; ws reports it as an error too
  t.teardown(() => refused.terminate())
  const status = await new Promise<number>((resolve) => {
    refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    refused.once('open', () => resolve(101))
  })
  t.equal(status, 502, 'round-robin sent the first upgrade to the dead backend: 502')
  let got = ''
  for (let i = 0; i < 4; i++) got += await who(`${proxy.url}/plain`) + ' '
  t.equal(got, 'alive alive alive alive ', 'the dead backend was marked down by the failed handshake')
})
