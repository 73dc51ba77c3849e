// A raw TCP client for tests where a client library would hide the framing.
import net from 'node:net'

export interface RawReply {
  /** every byte the server sent, as latin1 text */
  text: string
  /** true when the server closed the connection within the wait */
  closed: boolean
}

/**
 * Sends `bytes` to host:port and collects the reply until the server closes the
 * connection or `ms` pass, whichever is first.
 */
export function rawRequest(port: number, bytes: string | Buffer, ms = 2000, host = '127.0.0.1'): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host)
    const chunks: Buffer[] = []
    let closed = false
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed })
    }
    const timer = setTimeout(done, ms)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('end', () => {
      closed = true
      done()
    })
    socket.on('close', () => {
      closed = true
      done()
    })
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') return
      clearTimeout(timer)
      reject(err)
    })
    socket.write(bytes)
  })
}
