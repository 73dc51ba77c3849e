// The bin's contract: the ready line, the ways to name a backend, exit codes 0, 1 and 2 with one stderr line.
import { readFileSync } from 'node:fs'
import net from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { runCli, startCliProxy, type CliRun } from './helpers/proxy.js'

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

/** Asserts a run that failed with `code` printed exactly one stderr line matching `line`, nothing on stdout, no stack. */
async function failsWith(t: Test, run: CliRun, what: string, code: number, line: RegExp): Promise<void> {
  t.equal(await run.exited, code, `${what}: want exit code ${code}`)
  const err = run.stderr()
  t.match(err, /^[^\n]*\n$/, `${what}: want exactly one stderr line, got ${JSON.stringify(err)}`)
  t.match(err, line, `${what}: want the line to match ${line}`)
  t.notMatch(err, /^\s+at /m, `${what}: want no stack trace`)
  t.equal(run.stdout(), '', `${what}: want nothing on stdout`)
}

// Every other CLI test names its backend as a positional URL; --backend is the same flag as -b (cli-args table).
t.test('the ready line comes first with the real port; a backend as -b URL or as a bare host:port BACKEND (meaning http)', async (t) => {
  const origin = await startOrigin(t, (req, res) => res.end(`origin ${req.url}`))
  const ways: Array<[what: string, args: string[]]> = [
    ['-b URL', ['-b', origin.url]],
    ['bare host:port BACKEND', [`127.0.0.1:${origin.port}`]],
  ]
  const runs = await Promise.all(ways.map(([, args]) => startCliProxy(t, [...args, '--quiet'])))
  for (const [i, [what]] of ways.entries()) {
    const first = runs[i]!.stdout().split('\n')[0]
    const match = /^uproxy listening on http:\/\/127\.0\.0\.1:(\d+)$/.exec(first ?? '')
    t.ok(match, `${what}: want "uproxy listening on http://127.0.0.1:PORT" first, got ${JSON.stringify(first)}`)
    const port = Number(match?.[1])
    t.ok(port > 0 && port < 65536, `${what}: want the real port, not 0: got ${port}`)
    const res = await request(`http://127.0.0.1:${port}/${i}`)
    t.equal(await res.body.text(), `origin /${i}`, `${what}: want the printed port to reach the origin`)
  }
  t.same(origin.seen.map((s) => s.headers.host), ways.map(() => `127.0.0.1:${origin.port}`), 'every way sent Host 127.0.0.1:PORT')
  for (const [run, signal] of [[runs[0]!, 'SIGTERM'], [runs[1]!, 'SIGINT']] as const) {
    run.child.kill(signal)
    t.equal(await run.exited, 0, `${signal} on an idle proxy: want exit code 0`)
    t.equal(run.stderr(), 'uproxy: shutting down\n', `${signal}: want one stderr line, no stack trace`)
  }
})

t.test('a bad argument: exit 2 and one stderr line naming it', async (t) => {
  const cases: Array<[what: string, args: string[], line: RegExp]> = [
    ['unknown flag', ['--frobnicate'], /^uproxy: unknown option --frobnicate\b/],
    ['malformed URL', ['--backend', 'http://exa mple'], /^uproxy: --backend: "http:\/\/exa mple" is not a URL/],
    ['ftp:// scheme', ['ftp://127.0.0.1:21'], /^uproxy: backend: "ftp:\/\/127\.0\.0\.1:21" must use http:\/\/ or https:\/\//],
    ['malformed route', ['--route', 'api=http://a'], /^uproxy: --route: prefix "api" must start with \//],
    ['port out of range', ['--listen', '127.0.0.1:65536'], /^uproxy: --listen: port "127\.0\.0\.1:65536" is out of range 0-65535/],
    ['bad --timeout', ['--timeout', 'soon'], /^uproxy: --timeout: "soon" is not a positive number of seconds$/m],
  ]
  const runs = cases.map(([, args]) => runCli(t, args))
  for (const [i, [what, , line]] of cases.entries()) await failsWith(t, runs[i]!, what, 2, line)
})

t.test('a port in use: exit 1 and one line saying so', async (t) => {
  const holder = net.createServer()
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => holder.close(() => resolve())))
  const port = (holder.address() as net.AddressInfo).port
  const run = runCli(t, ['--listen', `127.0.0.1:${port}`, 'http://127.0.0.1:9'])
  await failsWith(t, run, `port ${port} held by another server`, 1, new RegExp(`^uproxy: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`))
})

t.test('--help and --version print to stdout and exit 0', async (t) => {
  const [help, version] = [runCli(t, ['--help']), runCli(t, ['--version'])]
  t.equal(await help.exited, 0, '--help: want exit 0')
  t.match(help.stdout(), /^Usage: uproxy \[BACKEND\] \[options\]\n/, '--help: want the usage on stdout')
  for (const flag of ['--backend', '--listen', '--route', '--rewrite', '--preserve-host', '--timeout', '--grace', '--quiet', '--config', '--version']) {
    t.match(help.stdout(), flag, `--help: want ${flag} described`)
  }
  t.equal(help.stderr(), '', '--help: want nothing on stderr')
  t.equal(await version.exited, 0, '--version: want exit 0')
  t.equal(version.stdout(), `${VERSION}\n`, `--version: want ${VERSION}, the package.json version`)
  t.equal(version.stderr(), '', '--version: want nothing on stderr')
})
