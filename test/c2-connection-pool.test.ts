// uproxy's HTTP/1.1 pool against real loopback origins: reuse, framing both ways, timeouts, errors, TLS.
import net from 'node:net'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { ConnectionPool, type PoolOptions } from '../src/c2/connection-pool.js'
import type { C2Controller, C2Request } from '../src/c2/exchange-handler.js'
import { makeCerts } from './helpers/certs.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'

interface Result {
  status?: number
  reason?: string
  headers?: Record<string, unknown>
  body: Buffer
  error?: Error & { code?: string }
}

/** Runs one exchange; resolves at its end or error, fails after `ms`. `onController` sees the controller first. */
function exchange(pool: ConnectionPool, request: Partial<C2Request> & { path: string },
  opts: { onController?: (c: C2Controller) => void; onData?: (c: C2Controller, chunk: Buffer) => void; ms?: number } = {}): Promise<Result> {
  const result: Result = { body: Buffer.alloc(0) }
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end or error within ${opts.ms ?? 5000} ms`)), opts.ms ?? 5000)
    const done = () => {
      clearTimeout(timer)
      result.body = Buffer.concat(chunks)
      resolve(result)
    }
    pool.dispatch({ method: 'GET', headers: ['host', 'origin'], body: null, ...request }, {
      onRequestStart: (c) => opts.onController?.(c),
      onResponseStart: (_c, status, headers, reason) => Object.assign(result, { status, headers, reason }),
      onResponseData: (c, chunk) => {
        chunks.push(Buffer.from(chunk))
        opts.onData?.(c, chunk)
      },
      onResponseEnd: done,
      onResponseError: (_c, err) => {
        result.error = err
        done()
      },
    })
  })
}

function newPool(t: Test, origin: string, options: Partial<PoolOptions> = {}): ConnectionPool {
  const pool = new ConnectionPool(origin, { headTimeoutMs: 5000, ...options })
  t.teardown(() => pool.destroy())
  return pool
}

/** A raw origin: `answer` gets each connection's first request head and writes what it likes. */
async function startRawOrigin(t: Test, answer: (socket: net.Socket, head: string, conn: number) => void) {
  let conns = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    const conn = ++conns
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buffered.slice(0, end)
      buffered = buffered.slice(end + 4)
      answer(socket, head, conn)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => conns, sockets }
}

t.test('a keep-alive connection serves one exchange after another', async (t) => {
  const origin = await startOrigin(t, (req, res) => {
    res.setHeader('x-conn', `${req.socket.remotePort}`)
    res.setHeader('set-cookie', ['a=1', 'b=2'])
    res.end(`hello ${req.url}`)
  })
  const pool = newPool(t, origin.url)
  const first = await exchange(pool, { path: '/one' })
  const second = await exchange(pool, { path: '/two' })
  t.equal(first.status, 200)
  t.equal(first.reason, 'OK')
  t.equal(first.body.toString(), 'hello /one')
  t.same(first.headers?.['set-cookie'], ['a=1', 'b=2'], 'repeated headers: got them joined or lost, want each')
  t.equal(second.body.toString(), 'hello /two')
  t.equal(second.headers?.['x-conn'], first.headers?.['x-conn'], 'the second exchange ran on the first connection')
  t.equal(pool.idleCount, 1)
  t.equal(origin.seen[0]?.headers.host, 'origin')
})

t.test('request bodies: Content-Length as given, chunked when the length is unknown', async (t) => {
  const origin = await startOrigin(t, (req, res, seen) => res.end(`${req.headers['transfer-encoding'] ?? 'none'} ${seen.body.length}`))
  const pool = newPool(t, origin.url)
  const parts = [Buffer.alloc(70_000, 1), Buffer.alloc(5, 2), Buffer.alloc(300_000, 3)]
  const total = parts.reduce((n, p) => n + p.length, 0)
  const withLength = await exchange(pool, { method: 'POST', path: '/cl', headers: ['host', 'o', 'content-length', `${total}`], body: Readable.from(parts) })
  t.equal(withLength.body.toString(), `none ${total}`)
  const chunked = await exchange(pool, { method: 'PUT', path: '/te', headers: ['host', 'o'], body: Readable.from(parts) })
  t.equal(chunked.body.toString(), `chunked ${total}`)
  t.ok(Buffer.concat(parts).equals(origin.seen[1]?.body as Buffer), 'the chunked body arrived byte for byte')
  const empty = await exchange(pool, { method: 'POST', path: '/empty', headers: ['host', 'o'] })
  t.equal(empty.body.toString(), 'none 0')
  t.equal(origin.seen[2]?.headers['content-length'], '0', 'a POST without a body says Content-Length: 0')
})

t.test('a paused exchange stops reading the backend until resumed', async (t) => {
  const total = 32 * 1024 * 1024
  let sent = 0
  let blocked = false
  const origin = await startOrigin(t, (_req, res) => {
    res.setHeader('content-length', total)
    const pump = () => {
      while (sent < total) {
        sent += 64 * 1024
        if (!res.write(Buffer.alloc(64 * 1024, 7))) {
          blocked = true
          return void res.once('drain', () => {
            blocked = false
            pump()
          })
        }
      }
      res.end()
    }
    pump()
  })
  const pool = newPool(t, origin.url)
  let controller: C2Controller | undefined
  let received = 0
  let onPaused: () => void = () => {}
  const paused = new Promise<void>((resolve) => (onPaused = resolve))
  const done = exchange(pool, { path: '/big' }, {
    ms: 20_000,
    onData: (c, chunk) => {
      received += chunk.length
      if (!controller) {
        controller = c
        c.pause()
        onPaused()
      }
    },
  })
  await paused
  const atPause = received
  // the backend's writes back up once nothing reads its socket
  await waitFor(() => blocked, 'the backend to be held back by the paused exchange')
  t.equal(received, atPause, `got ${received - atPause} more bytes while paused, want none`)
  t.ok(sent < total, `the backend sent ${sent} of ${total} bytes: it is held back`)
  controller?.resume()
  const result = await done
  t.equal(result.body.length, total, 'every byte arrives once resumed')
})

t.test('no reuse after Connection: close, HTTP/1.0, a short Keep-Alive timeout or a close-delimited body', async (t) => {
  const answers = [
    'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na',
    'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb',
    'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 1\r\n\r\nc',
    'HTTP/1.1 200 OK\r\n\r\nd',
  ]
  const origin = await startRawOrigin(t, (socket, _head, conn) => {
    socket.write(answers[conn - 1] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ne')
    if (conn === 4) socket.end()
  })
  const pool = newPool(t, origin.url)
  for (const want of ['a', 'b', 'c', 'd', 'e']) {
    const result = await exchange(pool, { path: '/' })
    t.equal(result.body.toString(), want)
  }
  t.equal(origin.connections(), 5, 'each of the four answers made the pool open a new connection')
})

t.test('a broken response is UPROXY_C2_INVALID_RESPONSE and its connection is closed', async (t) => {
  const origin = await startRawOrigin(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'))
  const pool = newPool(t, origin.url)
  const result = await exchange(pool, { path: '/' })
  t.equal(result.error?.code, 'UPROXY_C2_INVALID_RESPONSE', `got ${result.error?.code}`)
  await waitFor(() => origin.sockets.size === 0, 'the backend connection to close')
  t.equal(pool.idleCount, 0)
})

t.test('a body cut short is UPROXY_C2_CLOSED after the head', async (t) => {
  const origin = await startRawOrigin(t, (socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'))
  const result = await exchange(newPool(t, origin.url), { path: '/' })
  t.equal(result.status, 200)
  t.equal(result.error?.code, 'UPROXY_C2_CLOSED', `got ${result.error?.code}`)
})

t.test('no head in time is UPROXY_C2_HEAD_TIMEOUT', async (t) => {
  const origin = await startRawOrigin(t, () => {})
  const result = await exchange(newPool(t, origin.url, { headTimeoutMs: 200 }), { path: '/' })
  t.equal(result.error?.code, 'UPROXY_C2_HEAD_TIMEOUT', `got ${result.error?.code}`)
})

t.test('a refused connection is ECONNREFUSED', async (t) => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  const result = await exchange(newPool(t, `http://127.0.0.1:${port}`), { path: '/' })
  t.equal(result.error?.code, 'ECONNREFUSED', `got ${result.error?.code}`)
})

t.test('a reused connection closed before any byte is UPROXY_C2_STALE_KEEPALIVE', async (t) => {
  let served = 0
  const origin = await startRawOrigin(t, (socket) => {
    if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
    else socket.destroy()
  })
  const pool = newPool(t, origin.url)
  t.equal((await exchange(pool, { path: '/' })).body.toString(), 'ok')
  const second = await exchange(pool, { path: '/' })
  t.equal(second.error?.code, 'UPROXY_C2_STALE_KEEPALIVE', `got ${second.error?.code}`)
  const fresh = await exchange(pool, { path: '/' })
  t.equal(fresh.error?.code, 'UPROXY_C2_CLOSED', `a new connection closed unanswered: got ${fresh.error?.code}, want UPROXY_C2_CLOSED`)
})

t.test('abort destroys the backend connection at once', async (t) => {
  const origin = await startRawOrigin(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'))
  const pool = newPool(t, origin.url)
  const reason = Object.assign(new Error('client gone'), { code: 'TEST_GONE' })
  const result = await exchange(pool, { path: '/' }, { onData: (c) => c.abort(reason) })
  t.equal(result.error, reason, 'the handler hears its own abort reason')
  await waitFor(() => origin.sockets.size === 0, 'the backend to see its connection close', 2000)
  t.equal(pool.running, 0)
})

t.test('idle connections close after the idle timeout', async (t) => {
  const origin = await startOrigin(t)
  const pool = newPool(t, origin.url, { idleTimeoutMs: 150 })
  await exchange(pool, { path: '/' })
  t.equal(pool.idleCount, 1)
  await waitFor(() => origin.sockets.size === 0 && pool.idleCount === 0, 'the idle connection to close', 3000)
})

t.test('close() waits for running exchanges, then closes every connection', async (t) => {
  let finish: () => void = () => {}
  const origin = await startOrigin(t, (_req, res) => {
    res.write('a')
    finish = () => res.end('b')
  })
  const pool = newPool(t, origin.url)
  const running = exchange(pool, { path: '/' })
  await waitFor(() => origin.seen.length === 1, 'the request to arrive')
  let closed = false
  const closing = pool.close().then(() => (closed = true))
  const refused = await exchange(pool, { path: '/' })
  t.equal(refused.error?.code, 'UPROXY_C2_CLOSED', 'a closing pool takes no new exchange')
  t.equal(closed, false, 'still running: not closed yet')
  finish()
  t.equal((await running).body.toString(), 'ab')
  await closing
  await waitFor(() => origin.sockets.size === 0, 'the connection to close')
})

t.test('https: SNI, verification against the given CA, session reuse; --insecure skips verification', async (t) => {
  const certs = makeCerts(['localhost'])
  t.teardown(() => certs.cleanup())
  const origin = await startOrigin(t, (req, res) => {
    res.setHeader('connection', 'close')
    res.end(`${(req.socket as { isSessionReused?: () => boolean }).isSessionReused?.()}`)
  }, { tls: { cert: certs.cert, key: certs.key } })
  const pool = newPool(t, origin.url, { ca: [certs.ca] })
  const first = await exchange(pool, { path: '/' })
  t.equal(first.status, 200, `got ${first.error?.message}`)
  t.equal(origin.seen[0]?.servername, 'localhost', 'SNI names the backend host')
  const second = await exchange(pool, { path: '/' })
  t.equal(second.body.toString(), 'true', 'the second connection resumed the TLS session')
  const unverified = await exchange(newPool(t, origin.url), { path: '/' })
  t.match(unverified.error?.code, /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/, 'an unknown CA is refused by default')
  const insecure = await exchange(newPool(t, origin.url, { rejectUnauthorized: false }), { path: '/' })
  t.equal(insecure.status, 200, 'rejectUnauthorized: false accepts it')
})

t.test('an abort inside onResponseStart stops the read being parsed: no data after it', async (t) => {
  const origin = await startRawOrigin(t, (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody'))
  const pool = newPool(t, origin.url)
  const reason = new Error('client gone')
  const calls: string[] = []
  await new Promise<void>((resolve) => {
    pool.dispatch({ method: 'GET', path: '/', headers: [], body: null }, {
      onResponseStart: (c) => {
        calls.push('start')
        c.abort(reason)
      },
      onResponseData: () => void calls.push('data'),
      onResponseEnd: () => void calls.push('end'),
      onResponseError: (_c, err) => {
        calls.push(err === reason ? 'error(reason)' : `error(${err.message})`)
        resolve()
      },
    })
  })
  t.same(calls, ['start', 'error(reason)'], `got ${calls.join(', ')}`)
  await waitFor(() => origin.sockets.size === 0, 'the backend connection to close', 2000)
})
