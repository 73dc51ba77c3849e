// Step 14 — watch the exchanges: uproxy with its inspector, in front of a backend that is slow, or dies mid-answer.
// Run: npx tsx tutorials/14-inspector/main.ts [--listen HOST:PORT] [--inspect HOST:PORT] [--origin HOST:PORT]
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { startProxy } from '../../src/index.js'

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8080' },
    inspect: { type: 'string', default: '127.0.0.1:9901' }, // the inspector's own listener: keep it on loopback
    origin: { type: 'string', default: '127.0.0.1:8086' }, // this step's backend
  },
})

/** Writes one line and exits 1: a port in use is not a stack trace. */
function fail(line: string): never {
  process.stderr.write(`${line}\n`)
  process.exit(1)
}

/**
 * The backend, three ways to answer: /slow streams five lines 400 ms apart (C2 stays open a
 * while, its chunks arrive one by one); /die sends its head and one line, then drops the
 * connection (the backend closes first); anything else answers at once.
 */
const origin = http.createServer((req, res) => {
  if (req.url === '/slow' || req.url === '/die') {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write(`${req.url} line 1\n`)
    if (req.url === '/die') return void setTimeout(() => req.socket.destroy(), 300)
    let line = 1
    const timer = setInterval(() => {
      res.write(`/slow line ${++line}\n`)
      if (line === 5) {
        clearInterval(timer)
        res.end()
      }
    }, 400)
    // a client that leaves makes uproxy close C2: this backend sees its connection close
    res.on('close', () => clearInterval(timer))
    return
  }
  res.end(`fast answer to ${req.url}\n`)
})

const [, originHost = '127.0.0.1', originPort = '8086'] = /^\[?(.*?)\]?:(\d+)$/.exec(values.origin) ?? []
origin.once('error', (err: NodeJS.ErrnoException) => fail(`cannot listen on ${values.origin}: ${err.code}`))
origin.listen(Number(originPort), originHost, () => void start())

async function start(): Promise<void> {
  const { port } = origin.address() as AddressInfo
  process.stdout.write(`backend on http://${originHost}:${port}\n`)
  const proxy = await startProxy({
    listen: values.listen,
    backend: `http://${originHost}:${port}`,
    inspect: values.inspect,
    quiet: true, // the inspector shows more than the access log would
  }).catch((err: Error) => fail(err.message))
  process.stdout.write(`uproxy listening on ${proxy.url}\nuproxy inspector on ${proxy.inspectorUrl}\n`)
  process.once('SIGINT', () => void proxy.close().then(() => process.exit(0)))
}
