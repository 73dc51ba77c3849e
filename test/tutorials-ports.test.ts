// The tutorials index's port claims: the default ports each step names, and a port in use ending any step with one line.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { makeCerts } from './helpers/certs.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const STEPS = readdirSync(new URL('../tutorials', import.meta.url)).filter((name) => /^\d\d-/.test(name)).sort()

/** A port held open by this process for the test's length. */
async function busyPort(t: Test): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as net.AddressInfo).port
}

/** Runs `node args` from the repository root; killed after 20 s. */
function runNode(args: string[]): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer)
    resolve({ code, stderr })
  }))
}

t.test('each step listens by default where the index says', async (t) => {
  const want: Record<string, string> = { '01-origin-server': '127.0.0.1:8081', '10-tutorial-to-product': '127.0.0.1:8000',
    '11-tls-termination': '127.0.0.1:8443' }
  for (const step of STEPS) {
    const source = readFileSync(new URL(`../tutorials/${step}/main.ts`, import.meta.url), 'utf8')
    const got = /listen: \{ type: 'string', default: '([^']+)'/.exec(source)?.[1]
    t.equal(got, want[step] ?? '127.0.0.1:8080', `${step}: got default --listen ${got}, want ${want[step] ?? '127.0.0.1:8080'}`)
  }
})

/** The port a README starts a step-1 origin on. */
const ORIGIN_PORT = /01-origin-server\/main\.ts --listen 127\.0\.0\.1:(\d+)/g

t.test('the extra backends of steps 6, 8, 12 and 13 each have a port of their own', async (t) => {
  const readme = (step: string) => readFileSync(new URL(`../tutorials/${step}/README.md`, import.meta.url), 'utf8')
  const ports = (text: string, re: RegExp) => [...new Set([...text.matchAll(re)].map((m) => m[1]))]
  const found: Record<string, string[]> = {
    '06': ports(readme('06-tls-backend'), ORIGIN_PORT),
    '08': ports(readme('08-path-routing'), ORIGIN_PORT),
    '12': ports(readme('12-websockets'), /port: (\d+)/g),
    '13': ports(readme('13-load-balancing'), ORIGIN_PORT),
  }
  t.same(found, { '06': ['8444'], '08': ['8082'], '12': ['8084'], '13': ['8085'] }, 'the ports the index lists')
  const all = Object.values(found).flat()
  t.equal(new Set([...all, '8080', '8081', '8000', '8443']).size, all.length + 4, 'no two of them, nor a proxy step, share a port')
})

t.test('a port in use ends every step with one stderr line, exit 1, no stack trace', async (t) => {
  const port = await busyPort(t)
  const certs = makeCerts()
  t.teardown(certs.cleanup)
  for (const step of STEPS) {
    const extra = step === '11-tls-termination' ? ['--cert', certs.certFile, '--key', certs.keyFile] : []
    const run = await runNode(['--import', 'tsx', `tutorials/${step}/main.ts`, '--listen', `127.0.0.1:${port}`, ...extra])
    const lines = run.stderr.split('\n').filter(Boolean)
    t.equal(run.code, 1, `${step}: got exit ${run.code}, want 1`)
    t.equal(lines.length, 1, `${step}: got ${JSON.stringify(run.stderr)}, want one line`)
    t.match(lines[0], new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`), `${step}: the line names the address`)
  }
})

t.test("step 12's echo backend, as its README writes it, fails with one line on a port in use", async (t) => {
  const readme = readFileSync(new URL('../tutorials/12-websockets/README.md', import.meta.url), 'utf8')
  const command = /```sh\nnode -e "(new \(require\('ws'\)\.WebSocketServer\)\(\{ host: '127\.0\.0\.1', port: 8084 \}\)[^"]+)"\n```/.exec(readme)?.[1]
  t.ok(command, 'the README has the echo command')
  const port = await busyPort(t)
  const run = await runNode(['-e', (command ?? '').replace('port: 8084', `port: ${port}`)])
  t.equal(run.code, 1, `got exit ${run.code}, want 1`)
  t.match(run.stderr, new RegExp(`^listen EADDRINUSE: address already in use 127\\.0\\.0\\.1:${port}\\n$`),
    `got ${JSON.stringify(run.stderr)}, want one line naming the port`)
})
