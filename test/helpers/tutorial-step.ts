// Runs one tutorial step's main.ts as a child process, the way its README says, and reads its output.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { within } from './wait.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunningStep {
  /** the address from the ready line, e.g. 'http://127.0.0.1:41234' */
  url: string
  /** the ready line itself */
  readyLine: string
  /** every stdout / stderr line so far */
  stdout: string[]
  stderr: string[]
  child: ChildProcess
  /** resolves with the first stdout or stderr line (past or future) matching `re`; rejects after `ms` */
  waitForLine(re: RegExp, ms?: number): Promise<string>
}

/**
 * Starts `node --import tsx tutorials/<dir>/main.ts ...args` from the repo root and waits (bounded)
 * for the line ending in `listening on http(s)://HOST:PORT`. The test's teardown kills it.
 */
export function startStep(t: Test, dir: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningStep> {
  return startScript(t, `tutorials/${dir}/main.ts`, args, env)
}

/** The same for any script of the repository, e.g. 'examples/hooks.ts'. */
export async function startScript(t: Test, script: string, args: string[] = [],
  env: NodeJS.ProcessEnv = {}): Promise<RunningStep> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const stdout: string[] = []
  const stderr: string[] = []
  const waiters: { re: RegExp, resolve: (line: string) => void }[] = []
  const collect = (stream: NodeJS.ReadableStream, lines: string[]) => {
    let rest = ''
    stream.setEncoding('utf8')
    stream.on('data', (text: string) => {
      const parts = (rest + text).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) {
        lines.push(line)
        for (const w of waiters.filter((w) => w.re.test(line))) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    })
  }
  collect(child.stdout!, stdout)
  collect(child.stderr!, stderr)
  const waitForLine = (re: RegExp, ms = 10_000) => {
    const seen = [...stdout, ...stderr].find((l) => re.test(l))
    if (seen !== undefined) return Promise.resolve(seen)
    const line = new Promise<string>((resolve) => waiters.push({ re, resolve }))
    const died = exited.then(([code]) => {
      throw new Error(`${script} exited (${code}) before printing ${re}; stderr:\n${stderr.join('\n')}`)
    })
    return within(Promise.race([line, died]), ms, `${re} from ${script}`)
  }
  const readyLine = await waitForLine(/listening on https?:\/\/\S+$/, 20_000)
  const url = /(https?:\/\/\S+)$/.exec(readyLine)![1]!
  return { url, readyLine, stdout, stderr, child, waitForLine }
}
