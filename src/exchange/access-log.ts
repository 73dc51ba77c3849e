// Log lines: one access line per exchange, batched off the hot path, to stdout or a file reopened on demand; errors at once.
import { closeSync, openSync, writeSync } from 'node:fs'
import { formatAccessEntry, type AccessEntry, type AccessLogFormat } from './access-log-format.js'
import { ConfigError } from '../config/config-error.js'
import type { Hooks } from './hooks.js'

export type { AccessEntry, AccessLogFormat, Upstream } from './access-log-format.js'

/** Where uproxy's lines go. */
export interface Logs {
  /** one access line per exchange; undefined when quiet, so the hot path skips building it */
  access: ((entry: AccessEntry) => void) | undefined
  /** one line per failure, on stderr by default */
  error: (line: string) => void
  /** access lines already formatted, each ending in a newline (a worker thread's), batched as `access` batches */
  lines: (text: string) => void
  /** writes out the access lines still batched */
  flush: () => void
  /** opens the access-log file again by its name (after logrotate moved it); closes the old one */
  reopen: () => void
}

/** Where text goes: a stream, or a worker thread's channel to the main thread. */
export interface Writer {
  write(text: string): unknown
}

/** What the access log is: off, and else its format and its file (undefined: stdout). */
export interface AccessLogOptions {
  readonly quiet: boolean
  readonly format: AccessLogFormat
  readonly file: string | undefined
  /** how an error names the file's option: 'accessLog', '--access-log' */
  readonly option: string
}

/**
 * Batches access lines and writes them once per event-loop turn: stdout is synchronous
 * on pipes and files in Node, and one write per request costs more than the exchange.
 * A file is written synchronously too, so that nothing is lost when the process exits.
 * Throws ConfigError when the file cannot be opened.
 */
export function createLogs(options: AccessLogOptions, out: Writer = process.stdout, err: Writer = process.stderr): Logs {
  const error = (line: string) => void err.write(`uproxy: ${line}\n`)
  const file = options.quiet ? undefined : options.file
  let fd = file === undefined ? undefined : openLogFile(file, options.option)
  let batch = ''
  let scheduled = false
  let failing = false
  const flush = () => {
    scheduled = false
    if (!batch) return
    const text = batch
    batch = ''
    if (fd === undefined) return void out.write(text)
    try {
      const bytes = Buffer.from(text)
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at)
      failing = false
    } catch (cause) {
      // a full disk must not stop the proxy, nor fill stderr with one line per batch
      if (!failing) error(`cannot write the access log ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`)
      failing = true
    }
  }
  const lines = (text: string) => {
    batch += text
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  const access = (entry: AccessEntry) => lines(formatAccessEntry(options.format, entry) + '\n')
  const reopen = () => {
    if (fd === undefined || file === undefined) return
    flush()
    try {
      const next = openLogFile(file, options.option)
      closeSync(fd)
      fd = next
    } catch (cause) {
      error(`${(cause as Error).message}; still writing to the old file`)
    }
  }
  return { access: options.quiet ? undefined : access, error, lines, flush, reopen }
}

function openLogFile(file: string, option: string): number {
  try {
    return openSync(file, 'a')
  } catch (err) {
    throw new ConfigError(`${option}: cannot open "${file}" (${(err as NodeJS.ErrnoException).code ?? 'unwritable'})`)
  }
}

/** The built-in end phase that writes the access line: every attempt's backend and time, the bytes sent. */
export function accessLogHook(access: (entry: AccessEntry) => void): Hooks {
  return {
    end(exchange, end) {
      const { method, url, query, startedAt, clientAddress, headers } = exchange.request
      const upstreams = end.retried.map((attempt) => ({ origin: attempt.backend.origin, ms: attempt.ms }))
      if (exchange.backend) upstreams.push({ origin: exchange.backend.origin, ms: end.backendMs })
      const retried = end.retried.map((attempt) => `${attempt.backend.url} ${attempt.code}`).join(', ')
      access({
        method, target: query ? `${url}?${query}` : url, status: end.status, bytes: end.bytes, startedAt, clientAddress,
        headers, upstreams, backend: (exchange.backend?.url ?? '-') + (retried ? ` after ${retried}` : ''),
      })
    },
  }
}
