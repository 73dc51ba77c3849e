// Log lines: one access line per exchange, batched off the hot path; errors at once.

/** Where uproxy's lines go. */
export interface Logs {
  /** one access line per exchange; undefined when quiet, so the hot path skips building it */
  access: ((line: string) => void) | undefined
  /** one line per failure, on stderr by default */
  error: (line: string) => void
  /** writes out the access lines still batched */
  flush: () => void
}

/**
 * Batches access lines and writes them once per event-loop turn: stdout is synchronous
 * on pipes and files in Node, and one write per request costs more than the exchange.
 */
export function createLogs(quiet: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Logs {
  let batch = ''
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (batch) out.write(batch)
    batch = ''
  }
  const access = (line: string) => {
    batch += line + '\n'
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  return {
    access: quiet ? undefined : access,
    error: (line) => void err.write(`uproxy: ${line}\n`),
    flush,
  }
}

/** `GET /path?q 200 1234B 3.2ms http://backend` */
export function accessLine(method: string, path: string, status: number, bytes: number, startedAt: number, backend: string): string {
  const ms = (performance.now() - startedAt).toFixed(1)
  return `${method} ${path} ${status} ${bytes}B ${ms}ms ${backend}`
}
