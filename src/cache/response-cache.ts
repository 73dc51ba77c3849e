// The response cache's stores: the interface the cache phases use, and the one in this process's memory (LRU, bounded in bytes).
import type { IncomingHttpHeaders } from 'node:http'
import type CachePolicy from 'http-cache-semantics'

/** One stored response: its policy (freshness, Vary, validators, the backend's headers) and the bytes to answer with. */
export interface StoredResponse {
  readonly policy: CachePolicy
  readonly status: number
  /** the whole body */
  readonly body: Buffer
  /** the policy's response headers as of storing, with the body's length; a hit adds its Age */
  readonly headers: IncomingHttpHeaders
  /**
   * Date.now() until which the policy serves it, without revalidation, to a request that names
   * no Vary field and sends no Cache-Control or Pragma: its verdict for such requests, asked
   * once when stored rather than on every hit; 0 when it would not
   */
  readonly freshUntil: number
  /** the response names Vary fields: `freshUntil` does not apply */
  readonly varies: boolean
  /** what it counts against the size: body and headers */
  readonly bytes: number
}

/** Where stored responses live: this process's memory, or a Redis shared by several uproxy processes. */
export interface CacheStore {
  /** larger responses are never stored */
  readonly maxObjectBytes: number
  /** bytes stored now, when the store counts them (memory); undefined for Redis, which bounds itself */
  readonly bytes: number | undefined
  /** The variants stored under `key`, or undefined; a promise from a remote store (which gives undefined when unreachable). */
  variants(key: string): readonly StoredResponse[] | undefined | Promise<readonly StoredResponse[] | undefined>
  /** Stores `response` under `key` in place of the variants `supersedes` picks (those it refreshes or replaces). */
  store(key: string, response: StoredResponse, supersedes: (stored: StoredResponse) => boolean): void
  /** Resolves once a remote store is connected (at most 2 s); at once for memory. */
  connected?(): Promise<void>
  /** Closes what the store holds open. */
  close(): Promise<void>
}

/** Stored responses in memory, a list of Vary variants per key, least recently used key out first once the total passes `maxBytes`. */
export class ResponseCache implements CacheStore {
  private readonly entries = new Map<string, StoredResponse[]>()
  bytes = 0

  constructor(
    readonly maxBytes: number,
    readonly maxObjectBytes: number,
  ) {}

  /** The variants stored under `key`, now the most recently used; undefined when none. */
  variants(key: string): readonly StoredResponse[] | undefined {
    const list = this.entries.get(key)
    if (!list) return undefined
    this.entries.delete(key)
    this.entries.set(key, list)
    return list
  }

  store(key: string, response: StoredResponse, supersedes: (stored: StoredResponse) => boolean): void {
    if (response.bytes > this.maxObjectBytes || response.bytes > this.maxBytes) return
    const list = (this.entries.get(key) ?? []).filter((stored) => {
      if (!supersedes(stored)) return true
      this.bytes -= stored.bytes
      return false
    })
    list.push(response)
    this.bytes += response.bytes
    this.entries.delete(key)
    this.entries.set(key, list)
    for (const [oldest, variants] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(oldest)
      for (const stored of variants) this.bytes -= stored.bytes
    }
  }

  async close(): Promise<void> {}
}

/**
 * One fill per key at a time in this process: `underWay` says whether one is, and lets others
 * wait for it (nginx's proxy_cache_lock).
 */
export class FillLocks {
  private readonly fills = new Map<string, { done: Promise<void>; release: () => void }>()

  /** The fill under way for `key`, to wait for; undefined when none. */
  underWay(key: string): Promise<void> | undefined {
    return this.fills.get(key)?.done
  }

  /** Marks a fill of `key` under way; the returned function ends it (once), waking those waiting. */
  start(key: string): () => void {
    let release!: () => void
    const done = new Promise<void>((resolve) => (release = resolve))
    const fill = { done, release }
    this.fills.set(key, fill)
    return () => {
      if (this.fills.get(key) === fill) this.fills.delete(key)
      release()
    }
  }
}
