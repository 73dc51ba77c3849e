// Starts uproxy for a test: in-process through the API, or as the real CLI in a child process.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { startProxy, type Proxy, type StartOptions } from '../../src/index.js'

/** startProxy on 127.0.0.1 port 0, quiet unless asked, closed at teardown. */
export async function startTestProxy(t: Test, options: StartOptions): Promise<Proxy> {
  const proxy = await startProxy({ listen: { host: '127.0.0.1', port: 0 }, quiet: true, ...options })
  t.teardown(() => proxy.close())
  return proxy
}

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))

export interface CliRun {
  child: ChildProcess
  /** everything printed so far */
  stdout: () => string
  stderr: () => string
  /** resolves with the exit code (or the signal name) */
  exited: Promise<number | string>
}

/** Runs the uproxy CLI (src/cli.ts through tsx) with `args`; killed at teardown if still running. */
export function runCli(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Runs the CLI until it prints its ready line; resolves with its URL. Fails if it exits first. */
export async function startCliProxy(t: Test, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun & { url: string }> {
  const run = runCli(t, ['--listen', '127.0.0.1:0', ...args], env)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within 10 s; stderr: ${run.stderr()}`)), 10_000)
    run.child.stdout?.on('data', () => {
      const match = /^uproxy listening on (http\S+)$/m.exec(run.stdout())
      if (match) {
        clearTimeout(timer)
        resolve(match[1] as string)
      }
    })
    void run.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`uproxy exited ${code} before its ready line; stderr: ${run.stderr()}`))
    })
  })
  return { ...run, url }
}
