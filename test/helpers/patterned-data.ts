// Large deterministic bodies for tests, made and checked as streams: never held whole in memory.
import { createCipheriv, createHash } from 'node:crypto'
import type { Writable } from 'node:stream'

/** The chunk size patternChunks yields. */
export const PATTERN_CHUNK = 256 * 1024

/**
 * `total` bytes of AES-128-CTR keystream for `seed`: pseudo-random, never repeating within
 * a test's sizes (so a dropped, doubled or reordered block changes the hash), and fast to make.
 */
export function* patternChunks(total: number, seed = 'uproxy', chunkSize = PATTERN_CHUNK): Generator<Buffer> {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16)
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(chunkSize)
  for (let left = total; left > 0; left -= chunkSize) {
    yield cipher.update(left >= chunkSize ? zeros : zeros.subarray(0, left))
  }
}

/**
 * Resolves 'drained' when `out` drains, 'closed' if it closes first; fails after `ms`
 * (a peer that stopped reading for good), naming `what`. Leaves no listeners behind.
 */
export function drained(out: Writable, what: string, ms = 10_000): Promise<'drained' | 'closed'> {
  if (out.destroyed) return Promise.resolve('closed')
  return new Promise((resolve, reject) => {
    const settle = (how: 'drained' | 'closed' | Error) => {
      clearTimeout(timer)
      out.off('drain', onDrain)
      out.off('close', onClose)
      if (how instanceof Error) reject(how)
      else resolve(how)
    }
    const onDrain = () => settle('drained')
    const onClose = () => settle('closed')
    const timer = setTimeout(() => settle(new Error(`${what}: not drained within ${ms} ms (the peer stopped reading)`)), ms)
    out.on('drain', onDrain)
    out.on('close', onClose)
  })
}

/**
 * Writes `total` patterned bytes to `out`, waiting for 'drain' whenever it asks (its backpressure).
 * Resolves with the sha256 of what was written, or undefined if `out` closed first.
 * `progress.written` counts the bytes handed to `out` so far.
 */
export async function writePattern(out: Writable, total: number, seed?: string,
  progress: { written: number } = { written: 0 }): Promise<string | undefined> {
  const hash = createHash('sha256')
  for (const chunk of patternChunks(total, seed)) {
    if (out.destroyed) return undefined
    hash.update(chunk)
    progress.written += chunk.length
    if (!out.write(chunk) && (await drained(out, 'writePattern', 60_000)) === 'closed') return undefined
  }
  out.end()
  return hash.digest('hex')
}

/** Reads a stream through sha256, counting bytes; never keeps the data. */
export async function hashStream(source: AsyncIterable<Buffer | string>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    bytes += buffer.length
    hash.update(buffer)
  }
  return { bytes, sha256: hash.digest('hex') }
}
