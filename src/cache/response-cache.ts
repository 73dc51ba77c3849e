// The response cache's store: stored responses by key and Vary variant, least recently used out first, bounded in bytes.
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

/**
 * Stored responses, a list of Vary variants per key, least recently used key out first once
 * the total passes `maxBytes`. One fill per key at a time: `lock` says whether one is under way
 * and lets others wait for it (nginx's proxy_cache_lock).
 */
export class ResponseCache {
  private readonly entries = new Map<string, StoredResponse[]>()
  private readonly fills = new Map<string, { done: Promise<void>; release: () => void }>()
  /** bytes stored now */
  bytes = 0

  constructor(
    readonly maxBytes: number,
    /** larger responses are never stored */
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

  /** Stores `response` under `key` in place of `replaces` (a variant it refreshes or supersedes), then evicts to fit. */
  store(key: string, response: StoredResponse, replaces?: (stored: StoredResponse) => boolean): void {
    if (response.bytes > this.maxObjectBytes || response.bytes > this.maxBytes) return
    const list = (this.entries.get(key) ?? []).filter((stored) => {
      if (!replaces?.(stored)) return true
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

  /** The fill under way for `key`, to wait for; undefined when none. */
  fillUnderWay(key: string): Promise<void> | undefined {
    return this.fills.get(key)?.done
  }

  /** Marks a fill of `key` under way; the returned function ends it (once), waking those waiting. */
  startFill(key: string): () => void {
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
