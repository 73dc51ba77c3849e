// A raw TCP client that stays open: send bytes, wait for what arrives or for the close, with bounds.
import net from 'node:net'
import type { Test } from 'tap'

export interface RawSocket {
  socket: net.Socket
  /** every byte received so far */
  received(): Buffer
  /** true once the peer closed the connection (or it was reset) */
  closed(): boolean
  /** resolves when the bytes received so far, as latin1, match `pattern`; fails after `ms` */
  waitForText(pattern: RegExp, ms?: number): Promise<string>
  /** resolves when the connection closes; fails after `ms` */
  waitForClose(ms?: number): Promise<void>
}

/** Connects to 127.0.0.1:port, writes `bytes`, and keeps everything that comes back; destroyed at teardown. */
export async function openRaw(t: Test, port: number, bytes?: string | Buffer): Promise<RawSocket> {
  const socket = net.connect(port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  const chunks: Buffer[] = []
  let isClosed = false
  const listeners = new Set<() => void>()
  const notify = () => listeners.forEach((listener) => listener())
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    notify()
  })
  socket.on('close', () => {
    isClosed = true
    notify()
  })
  // a reset is one way a broken response shows; the close that follows is what tests look at
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  if (bytes !== undefined) socket.write(bytes)
  const received = () => Buffer.concat(chunks)
  const waitUntil = (check: () => boolean, what: () => string, ms: number) => new Promise<void>((resolve, reject) => {
    const test = () => {
      if (!check()) return
      clearTimeout(timer)
      listeners.delete(test)
      resolve()
    }
    const timer = setTimeout(() => {
      listeners.delete(test)
      reject(new Error(`timed out after ${ms} ms waiting for ${what()}`))
    }, ms)
    listeners.add(test)
    test()
  })
  return {
    socket,
    received,
    closed: () => isClosed,
    async waitForText(pattern, ms = 3000) {
      const text = () => received().toString('latin1')
      const got = () => `${pattern} in what arrived; got ${JSON.stringify(text().slice(0, 300))}`
      await waitUntil(() => pattern.test(text()) || isClosed, got, ms)
      if (!pattern.test(text())) throw new Error(`the connection closed before ${got()}`)
      return text()
    },
    waitForClose: (ms = 3000) => waitUntil(() => isClosed, () => 'the connection to close', ms),
  }
}
