// --config FILE: a JSON object with the API's option names, under the command line's flags.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { readConfigFile } from '../src/cli/config-file.js'
import { startOrigin } from './helpers/origin.js'
import { waitFor } from './helpers/wait.js'
import { runCli, startCliProxy, type CliRun } from './helpers/proxy.js'

/** Writes `text` to a file in a folder removed at teardown; returns its path. */
function configFile(t: Test, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'uproxy.json')
  writeFileSync(file, text)
  return file
}

const named = (t: Test, name: string) => startOrigin(t, (req, res) => res.end(`${name} ${req.url}`))

async function get(url: string): Promise<string> {
  const res = await request(url)
  return `${res.statusCode} ${await res.body.text()}`
}

t.test('readConfigFile: a JSON object as it is; anything else one ConfigError naming the file', async (t) => {
  const good = configFile(t, '{ "backend": "http://b", "routes": [{ "prefix": "/a", "backend": "http://a", "rewrite": true }] }')
  t.same(readConfigFile(good), { backend: 'http://b', routes: [{ prefix: '/a', backend: 'http://a', rewrite: true }] })
  const refused: Array<[what: string, file: string, message: RegExp]> = [
    ['missing file', '/nonexistent/uproxy.json', /^--config: cannot read "\/nonexistent\/uproxy\.json" \(ENOENT\)$/],
    ['invalid JSON', configFile(t, '{ "backend": '), /^--config: ".*uproxy\.json" is not valid JSON \(/],
    ['an array', configFile(t, '[]'), /^--config: ".*uproxy\.json" must hold a JSON object$/],
    ['a string', configFile(t, '"http://b"'), /must hold a JSON object/],
    ['null', configFile(t, 'null'), /must hold a JSON object/],
  ]
  for (const [what, file, message] of refused) {
    t.throws(() => readConfigFile(file), { code: 'UPROXY_BAD_CONFIG', message }, `${what}: want ${message}`)
  }
})

/** The URL of a CLI run's ready line, once printed. */
async function readyUrl(run: CliRun): Promise<string> {
  await waitFor(() => /^uproxy listening on /m.test(run.stdout()) || run.child.exitCode !== null,
    `the ready line (stderr so far: ${run.stderr()})`, 10_000)
  const match = /^uproxy listening on (http\S+)$/m.exec(run.stdout())
  if (!match) throw new Error(`want a ready line, got stdout ${JSON.stringify(run.stdout())}, stderr ${JSON.stringify(run.stderr())}`)
  return match[1] as string
}

t.test('the file sets listen, backend and routes (objects, with their own rewrite); a flag overrides the file', async (t) => {
  const [fallback, api, flagged] = [await named(t, 'fallback'), await named(t, 'api'), await named(t, 'flagged')]
  const file = configFile(t, JSON.stringify({
    listen: '127.0.0.1:0',
    backend: fallback.url,
    routes: [{ prefix: '/api', backend: api.url, rewrite: true }],
    quiet: true,
  }))
  const fromFile = runCli(t, ['--config', file])
  const overridden = startCliProxy(t, ['--config', file, '--backend', flagged.url])
  const fileUrl = await readyUrl(fromFile)
  t.match(fileUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'want the listen address from the file')
  t.equal(await get(`${fileUrl}/x?q`), '200 fallback /x?q', 'want the file backend')
  t.equal(await get(`${fileUrl}/api/users?id=1`), '200 api /users?id=1', 'want the file route, rewritten as it asks')
  fromFile.child.kill('SIGTERM')
  t.equal(await fromFile.exited, 0, 'want exit 0 on SIGTERM')
  t.equal(fromFile.stdout(), `uproxy listening on ${fileUrl}\n`, 'quiet from the file: want the ready line and no access log')
  const flagUrl = (await overridden).url
  t.equal(await get(`${flagUrl}/x`), '200 flagged /x', 'want --backend over the file backend')
  t.equal(await get(`${flagUrl}/api/y`), '200 api /y', 'want the file routes kept beside the flag')
  t.equal(fallback.seen.length, 1, 'the file backend was not used by the overriding run')
})

t.test('an unknown key, invalid JSON or a bad option in the file: exit 2 and one stderr line naming it by its key', async (t) => {
  const cases: Array<[what: string, text: string, line: RegExp]> = [
    ['unknown key', '{ "backend": "http://127.0.0.1:9", "upstream": "http://127.0.0.1:9" }', /^uproxy: unknown option "upstream"/],
    ['invalid JSON', '{ "backend": "http://127.0.0.1:9", }', /^uproxy: --config: ".*uproxy\.json" is not valid JSON/],
    ['a bad route, named as the file names it', '{ "routes": [{ "prefix": "api", "backend": "http://127.0.0.1:9" }] }',
      /^uproxy: routes\[0\]: prefix "api" must start with \/$/m],
    ['a bad duration, named as the file names it', '{ "timeout": 0 }', /^uproxy: timeout: "0" is not a positive number of seconds$/m],
  ]
  const runs = cases.map(([, text]) => runCli(t, ['--config', configFile(t, text)]))
  for (const [i, [what, , line]] of cases.entries()) {
    const run = runs[i]!
    t.equal(await run.exited, 2, `${what}: want exit code 2`)
    t.match(run.stderr(), /^[^\n]*\n$/, `${what}: want exactly one stderr line, got ${JSON.stringify(run.stderr())}`)
    t.match(run.stderr(), line, `${what}: want ${line}`)
    t.equal(run.stdout(), '', `${what}: want nothing on stdout`)
  }
})
