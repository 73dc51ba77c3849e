// `npm pack`, then the tarball installed in a project elsewhere: the bin runs, the API imports, type-checks and proxies.
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startOrigin } from './helpers/origin.js'

const REPO = fileURLToPath(new URL('../', import.meta.url))
const ME = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string }
const TARBALL = `${ME.name}-${ME.version}.tgz`

interface Ran {
  status: number | null
  stdout: string
  stderr: string
}

/**
 * Runs a command, killed after 60 s; its output is kept for the failure message. Not spawnSync:
 * the origin this process serves must keep answering while the command runs.
 */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const ran: Ran = { status: null, stdout: '', stderr: '' }
  child.stdout.setEncoding('utf8').on('data', (s: string) => (ran.stdout += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (ran.stderr += s))
  const timer = setTimeout(() => {
    ran.stderr += `\n(killed after 60 s: ${command} ${args.join(' ')})`
    child.kill('SIGKILL')
  }, 60_000)
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer)
    ran.status = code
    resolve(ran)
  }))
}

function npmMissing(): string | false {
  try {
    execFileSync('npm', ['--version'], { stdio: 'ignore' })
    return false
  } catch {
    return 'npm is not on PATH: cannot pack or install the package'
  }
}

/**
 * A lockfile for the project that pins uproxy's dependencies to this repository's lockfile:
 * `npm ci --offline` then needs no registry, only the tarballs that `npm ci` put in npm's cache.
 */
function writeLockfile(dir: string, spec: string): void {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> }
  const me = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: object; bin: object; version: string }
  const packages: Record<string, unknown> = { '': { name: 'app', dependencies: { uproxy: spec } } }
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && !entry.dev && !entry.devOptional) packages[path] = entry
  }
  packages['node_modules/uproxy'] = { version: me.version, resolved: spec, dependencies: me.dependencies, bin: me.bin }
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }))
}

// The README's API example, with the origin's URL for its backend, fetching once through the proxy.
const APP = `import { startProxy, type Proxy } from 'uproxy'

const proxy: Proxy = await startProxy({
  listen: { host: '127.0.0.1', port: 0 },
  backend: process.env.BACKEND,
  quiet: true,
})
const res = await fetch(proxy.url + '/hello')
console.log(res.status, await res.text())
await proxy.close()
`

t.test('the packed tarball installs in another project: uproxy --version runs, the API imports and proxies', { skip: npmMissing() }, async (t) => {
  t.ok(existsSync(join(REPO, 'dist/cli.js')), 'dist/ is built (npm run build): npm pack ships it')
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-install-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))

  // --ignore-scripts: `prepare` would rebuild dist/ under the other tests running from it
  const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO)
  t.equal(pack.status, 0, pack.status === 0 ? 'npm pack exits 0' : `npm pack: got exit ${pack.status}, want 0; stderr: ${pack.stderr}`)
  const files = (JSON.parse(pack.stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path) ?? []
  for (const want of ['LICENSE', 'README.md', 'package.json', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts']) {
    t.ok(files.includes(want), `the tarball holds ${want}`)
  }
  const strays = files.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/([\w-]+\/)?[\w.-]+\.(js|d\.ts)|dist\/inspector\/page\/[\w.-]+\.(html|css|js))$/.test(f))
  t.same(strays, [], `got ${JSON.stringify(strays)} beside dist/**/*.js, *.d.ts, the inspector's page and the docs, want nothing else`)

  const app = join(dir, 'app')
  mkdirSync(app)
  const spec = `file:../${TARBALL}`
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { uproxy: spec } }))
  writeLockfile(app, spec)
  let install = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app)
  if (install.status !== 0) {
    t.comment(`npm ci --offline failed (${install.stderr.split('\n')[0]}); installing from the registry`)
    rmSync(join(app, 'package-lock.json'))
    install = await run('npm', ['install', '--no-audit', '--no-fund'], app)
  }
  t.equal(install.status, 0, install.status === 0 ? 'the tarball installs' : `npm install of the tarball: got exit ${install.status}, want 0; stderr: ${install.stderr}`)

  const version = await run(join(app, 'node_modules/.bin/uproxy'), ['--version'], app)
  t.equal(version.stdout, `${ME.version}\n`, `uproxy --version: got ${JSON.stringify(version.stdout)} (stderr ${version.stderr}), want ${ME.version}`)

  writeFileSync(join(app, 'app.ts'), APP)
  const tsc = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--skipLibCheck',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
    '--typeRoots', join(REPO, 'node_modules/@types'), '--types', 'node', 'app.ts'], app)
  t.equal(tsc.status, 0, tsc.status === 0 ? 'the API example type-checks against the installed types' : `tsc on the API example: got ${tsc.stdout}${tsc.stderr}, want no error`)

  const origin = await startOrigin(t, (_req, res) => res.end('hello from the origin'))
  const tsx = await run(join(REPO, 'node_modules/.bin/tsx'), ['app.ts'], app, { BACKEND: origin.url })
  t.equal(tsx.stdout, '200 hello from the origin\n', `the API example run with tsx: got ${JSON.stringify(tsx.stdout)}, stderr ${tsx.stderr}`)
  t.equal(origin.seen[0]?.url, '/hello', 'the request went through the installed proxy to the origin')
})
