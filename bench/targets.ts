// Start and stop each party in its own process: read its ready line, know its pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BUILD_DIR, REPO_ROOT } from './compile.js'

export type TargetName = 'direct' | 'node-http' | 'uproxy' | 'uproxy-inspect' | 'uproxy-edge' | 'nginx' | 'uproxy-h1' | 'uproxy-h2' | 'uproxy-w2' | 'uproxy-wauto'
export const TARGET_NAMES: readonly TargetName[] = ['direct', 'node-http', 'uproxy', 'uproxy-inspect', 'uproxy-edge', 'nginx', 'uproxy-h1', 'uproxy-h2', 'uproxy-w2', 'uproxy-wauto']
/** The targets in front of the TLS node:http2 backend (`--h2`) rather than the uWS one. */
export const TLS_TARGETS: readonly TargetName[] = ['uproxy-h1', 'uproxy-h2']

export interface Party {
  name: TargetName | 'backend' | 'h2-backend'
  url: URL
  /** For h2-backend: the PEM certificate (self-signed, so also the CA) the proxies must trust. */
  certFile?: string
  /** The process whose CPU and memory count for this party (with its descendants); for direct, the backend. */
  pid: number
  /** False once the process has exited (for direct: once the backend has). */
  alive: () => boolean
  stop: () => Promise<void>
}

export interface SpawnOptions {
  /** CPU list for `taskset -c`, or null for no pinning. */
  cpus: string | null
  /** Extra flags for every node party (e.g. --max-semi-space-size=64), the same for all. */
  nodeFlags: string[]
}

const READY_TIMEOUT_MS = 20_000
const READY_LINE = /listening on (https?:\/\/\S+)/

/** The uproxy CLI the bench runs: the built bin, exactly as a user would. */
export const UPROXY_CLI = join(REPO_ROOT, 'dist', 'cli.js')

export function startBackend (opts: SpawnOptions): Promise<Party> {
  return startNode('backend', [join(BUILD_DIR, 'backend.js')], opts)
}

/**
 * The `--h2` origin: node:http2 over TLS with allowHTTP1, a P-256 certificate for localhost and
 * 127.0.0.1 made with openssl in a temp dir (removed on stop).
 */
export async function startH2Backend (opts: SpawnOptions): Promise<Party> {
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-bench-h2-'))
  const certFile = join(dir, 'cert.pem')
  const keyFile = join(dir, 'key.pem')
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    { stdio: ['ignore', 'ignore', 'pipe'] })
    const party = await startNode('h2-backend', [join(BUILD_DIR, 'h2-backend.js'), certFile, keyFile], opts)
    return {
      ...party,
      certFile,
      stop: async () => { await party.stop(); rmSync(dir, { recursive: true, force: true }) },
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
}

export async function startTarget (name: TargetName, backend: Party, opts: SpawnOptions): Promise<Party> {
  switch (name) {
    case 'direct':
      return { name, url: backend.url, pid: backend.pid, alive: backend.alive, stop: async () => {} }
    case 'node-http':
      return startNode(name, [join(BUILD_DIR, 'node-http-proxy.js'), backend.url.origin], opts)
    case 'uproxy':
      return startNode(name, [UPROXY_CLI, backend.url.origin, '--listen', '127.0.0.1:0', '--quiet'], opts)
    case 'uproxy-inspect':
      // the same with the exchange inspector on (no page open): what recording every exchange costs
      return startNode(name, [UPROXY_CLI, backend.url.origin, '--listen', '127.0.0.1:0', '--quiet', '--inspect', '127.0.0.1:0'], opts)
    case 'uproxy-edge':
      return startNode(name, [UPROXY_CLI, backend.url.origin, '--listen', '127.0.0.1:0', '--quiet', '--cache', '64MB', '--compress'], opts)
    case 'nginx':
      return startNginx(backend, opts)
    case 'uproxy-w2':
    case 'uproxy-wauto':
      // `uproxy` is --workers 1; these are a main process and its worker processes (CPU and memory summed)
      return startNode(name, [UPROXY_CLI, backend.url.origin, '--workers', name.slice('uproxy-w'.length), '--listen', '127.0.0.1:0', '--quiet'], opts)
    case 'uproxy-h1':
    case 'uproxy-h2':
      if (backend.certFile === undefined) throw new Error(`${name}: needs the TLS backend (--h2)`)
      return startNode(name, [UPROXY_CLI, backend.url.origin, '--ca', backend.certFile, ...(name === 'uproxy-h2' ? ['--backend-h2'] : []),
        '--listen', '127.0.0.1:0', '--quiet'], opts)
  }
}

function withPinning (cmd: string, args: string[], opts: SpawnOptions): [string, string[]] {
  // taskset execs the command, so the pid we hold is the party's own.
  return opts.cpus === null ? [cmd, args] : ['taskset', ['-c', opts.cpus, cmd, ...args]]
}

function startNode (name: Party['name'], args: string[], opts: SpawnOptions): Promise<Party> {
  const [cmd, argv] = withPinning(process.execPath, [...opts.nodeFlags, ...args], opts)
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise<Party>((resolve, reject) => {
    let stdout = ''
    let stderr = ''
    const fail = (why: string): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${name}: ${why}${stderr === '' ? '' : `\n${stderr.trim()}`}`))
    }
    const timer = setTimeout(() => fail(`no ready line within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS)
    const onStdout = (chunk: Buffer): void => {
      stdout += chunk.toString()
      const nl = stdout.indexOf('\n')
      if (nl === -1) return
      const first = stdout.slice(0, nl)
      const m = READY_LINE.exec(first)
      if (m === null) { fail(`first stdout line is not a ready line: ${JSON.stringify(first)}`); return }
      clearTimeout(timer)
      child.stdout!.off('data', onStdout)
      child.stdout!.resume() // keep draining: an access log must never block the party on a full pipe
      child.off('exit', onEarlyExit)
      child.on('exit', (code, signal) => {
        if (!stopping) process.stderr.write(`bench: ${name} exited unexpectedly (${signal ?? code})\n${stderr.slice(-2000)}`)
      })
      resolve({ name, url: new URL(m[1]!), pid: child.pid!, alive: () => isRunning(child), stop })
    }
    const onEarlyExit = (code: number | null, signal: string | null): void => fail(`exited before ready (${signal ?? code})`)
    let stopping = false
    const stop = (): Promise<void> => { stopping = true; return stopChild(child) }
    child.stdout!.on('data', onStdout)
    child.stderr!.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-8000) })
    child.on('exit', onEarlyExit)
    child.on('error', (err) => fail(err.message))
  })
}

function isRunning (child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function stopChild (child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(kill); resolve() })
    child.kill('SIGTERM')
  })
}

/** Is nginx on PATH (or at a usual place)? Returns its path or null. */
export function findNginx (): string | null {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/nginx/sbin'])) {
    const p = join(dir, 'nginx')
    if (dir !== '' && existsSync(p)) return p
  }
  return null
}

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

async function waitForPort (port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1')
      s.once('connect', () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nginx: nothing listening on ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** nginx as the production reference: one worker, upstream keep-alive, no access log, no buffering to disk. */
async function startNginx (backend: Party, opts: SpawnOptions): Promise<Party> {
  const bin = findNginx()
  if (bin === null) throw new Error('nginx: not installed')
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-bench-nginx-'))
  const port = await freePort()
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  upstream backend {
    server ${backend.url.host};
    keepalive 512;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 8m;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;
    }
  }
}
`)
  const [cmd, argv] = withPinning(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], opts)
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
  try {
    await Promise.race([
      waitForPort(port, Date.now() + READY_TIMEOUT_MS),
      new Promise((_resolve, reject) => child.once('exit', (code) => reject(new Error(`nginx exited (${code}): ${stderr.trim()}`)))),
    ])
  } catch (err) {
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    name: 'nginx',
    url: new URL(`http://127.0.0.1:${port}`),
    pid: child.pid!,
    alive: () => isRunning(child),
    stop: async () => { await stopChild(child); rmSync(dir, { recursive: true, force: true }) },
  }
}
