// A real Redis for tests: Debian's redis-server on a free loopback port, nothing saved, stopped and started again on demand.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { within } from './wait.js'

/** A running redis-server. */
export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  readonly url: string
  readonly port: number
  /** kills it (an outage as the proxy sees it) */
  stop(): Promise<void>
  /** starts it again on the same port, empty */
  start(): Promise<void>
}

/** Why Redis tests cannot run here, or undefined when redis-server is installed. */
export function redisMissing(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  return found.status === 0 ? undefined : 'redis-server is not installed (Debian: apt-get install redis-server; .ci/run installs it)'
}

/**
 * Skips `t` with the reason when redis-server is missing, or fails it under CI=true (CI must run
 * every test). Returns true when the tests can go on.
 */
export function needRedis(t: Test): boolean {
  const missing = redisMissing()
  if (!missing) return true
  if (process.env.CI === 'true') t.fail(`CI=true: ${missing}`)
  else t.test(`the Redis tests: ${missing}`, { skip: `skipping the Redis tests: ${missing}` }, () => {})
  return false
}

/** Starts redis-server on 127.0.0.1 at a free port, without persistence; killed at teardown. */
export async function startRedis(t: Test): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    const spawned = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = spawned
    let out = ''
    spawned.stdout?.setEncoding('utf8')
    await within(new Promise<void>((resolve, reject) => {
      spawned.stdout?.on('data', (text: string) => {
        out += text
        if (out.includes('Ready to accept connections')) resolve()
      })
      spawned.on('exit', (code) => reject(new Error(`redis-server exited ${code} before it was ready: ${out}`)))
    }), 10_000, `redis-server on port ${port}`)
  }
  const stop = async () => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    running.kill('SIGKILL')
    await once(running, 'exit')
  }
  await start()
  t.teardown(stop)
  return { url: `redis://127.0.0.1:${port}`, port, stop, start }
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
