// uproxy under fuzz: the real CLI in a child process, so a crash is seen as an exit and can be restarted.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
/** Bytes of stderr kept: enough for the stack trace of a crash. */
const STDERR_TAIL = 8 * 1024

/** How a proxy process ended. */
export interface Exit {
  code: number | null
  signal: string | null
  /** the last lines it wrote to stderr */
  stderr: string
}

/** One running proxy process. */
export interface ProxyChild {
  port: number
  pid: number
  /** resolves when the process ends, for whatever reason */
  exited: Promise<Exit>
  /** true once it has ended */
  isDown(): boolean
  /** SIGKILL, then resolves when it is gone */
  kill(): Promise<void>
}

/** Starts `node --import tsx src/cli.ts BACKEND --listen 127.0.0.1:0 --quiet` and waits for its ready line (bounded). */
export function startProxyChild(backend: string, readyMs = 20_000): Promise<ProxyChild> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, backend, '--listen', '127.0.0.1:0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let down = false
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_TAIL)))
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => {
    down = true
    resolve({ code, signal, stderr })
  }))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`uproxy printed no ready line within ${readyMs} ms; stderr: ${stderr}`))
    }, readyMs)
    const onData = () => {
      const match = /^uproxy listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(stdout)
      if (!match) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      resolve({
        port: Number(match[1]),
        pid: child.pid as number,
        exited,
        isDown: () => down,
        kill: async () => {
          if (!down) child.kill('SIGKILL')
          await exited
        },
      })
    }
    child.stdout?.on('data', onData)
    void exited.then((exit) => {
      clearTimeout(timer)
      reject(new Error(`uproxy exited (${exit.code ?? exit.signal}) before its ready line; stderr: ${exit.stderr}`))
    })
  })
}
