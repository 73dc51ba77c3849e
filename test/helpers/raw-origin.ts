// A raw TCP origin for tests that check bytes: it records each request head exactly and answers with given bytes.
import net, { type AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface RawOrigin {
  /** http://127.0.0.1:PORT */
  url: string
  /** every request head received (up to and including the blank line), byte for byte */
  heads: Buffer[]
}

/**
 * Starts an origin on 127.0.0.1, port 0, closed at teardown. It reads each request head
 * (requests in these tests have no body) and writes `reply(head)`, keeping the connection.
 */
export async function startRawOrigin(t: Test, reply: (head: Buffer) => Buffer | string =
  () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'): Promise<RawOrigin> {
  const heads: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    let pending = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk])
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.subarray(0, end + 4)
        pending = pending.subarray(end + 4)
        heads.push(head)
        socket.write(reply(head))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, heads }
}

/** The value of header `name` (any case) in a raw head, as bytes; undefined when it is absent. */
export function rawHeaderValue(head: Buffer, name: string): Buffer | undefined {
  const lines = head.toString('latin1').split('\r\n')
  const line = lines.find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line === undefined ? undefined : Buffer.from(line.slice(name.length + 1).replace(/^[ \t]+|[ \t]+$/g, ''), 'latin1')
}

/** The request target of a raw head, as bytes: `/caf\xc3\xa9?q`. */
export function rawTarget(head: Buffer): Buffer {
  const line = head.subarray(0, head.indexOf('\r\n'))
  return line.subarray(line.indexOf(0x20) + 1, line.lastIndexOf(0x20))
}
