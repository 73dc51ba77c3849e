// The phases of an exchange: the hooks of each phase in order, run at the point C1 or C2 reaches it.
import type { Answer, C2RequestHead, C2ResponseHead, Exchange, ExchangeEnd, Hooks } from './hooks.js'
import type { ExchangeWatcher } from './watcher.js'

/** A hook threw: the exchange ends (502, or a cut connection), and the message names the phase. */
export class HookError extends Error {
  readonly code = 'UPROXY_HOOK'

  constructor(phase: keyof Hooks, cause: unknown) {
    super(`a ${phase} hook threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
}

/**
 * The hooks of one proxy, sorted by phase once: a phase nobody registered for is an empty list,
 * and `transformsBody` is false unless some hook reads the body, so C1 never calls into it.
 */
export class Phases {
  private readonly request: Hooks[]
  private readonly backendRequest: Hooks[]
  private readonly responseHead: Hooks[]
  private readonly responseBody: Hooks[]
  private readonly ended: Hooks[]
  /** some hook transforms response bodies: C1 hands it every chunk */
  readonly transformsBody: boolean

  constructor(
    hooks: readonly Hooks[],
    /** what watches the moments between the phases; undefined (the default): nothing, at no cost */
    readonly watcher: ExchangeWatcher | undefined = undefined,
  ) {
    this.request = hooks.filter((h) => h.c1Request)
    this.backendRequest = hooks.filter((h) => h.c2Request)
    this.responseHead = hooks.filter((h) => h.c2ResponseHead)
    this.responseBody = hooks.filter((h) => h.c2ResponseBody)
    this.ended = hooks.filter((h) => h.end)
    this.transformsBody = this.responseBody.length > 0
  }

  /**
   * request: the first Answer a hook gives, or undefined to go on to a backend. Throws HookError.
   * A hook that returns a promise makes this a promise (rejecting with HookError); the hooks after
   * it run when it settles, unless the exchange is done by then.
   */
  c1Request(exchange: Exchange, from = 0): Answer | undefined | Promise<Answer | undefined> {
    for (let i = from; i < this.request.length; i++) {
      let answer
      try {
        answer = this.request[i]!.c1Request!(exchange)
      } catch (err) {
        throw new HookError('c1Request', err)
      }
      if (answer instanceof Promise) {
        return answer.then((settled) => settled ?? undefined, (err: unknown) => {
          throw new HookError('c1Request', err)
        }).then((settled) => settled ?? (exchange.done ? undefined : this.c1Request(exchange, i + 1)))
      }
      if (answer) return answer
    }
    return undefined
  }

  /** backend request: every hook may change `head`. Throws HookError. */
  c2Request(exchange: Exchange, head: C2RequestHead): void {
    for (const hook of this.backendRequest) runHook(hook, 'c2Request', exchange, head)
  }

  /** response head: every hook may change `head`. Throws HookError. */
  c2ResponseHead(exchange: Exchange, head: C2ResponseHead): void {
    for (const hook of this.responseHead) runHook(hook, 'c2ResponseHead', exchange, head)
  }

  /**
   * response body: `chunk` through every hook in turn; what the last returns is written. Throws
   * HookError. A hook that returns a promise makes this a promise (rejecting with HookError): the
   * hooks after it get what it settles with.
   */
  c2ResponseBody(exchange: Exchange, chunk: Buffer, last: boolean, from = 0): Buffer | undefined | Promise<Buffer | undefined> {
    let out: Buffer | undefined = chunk
    for (let i = from; i < this.responseBody.length; i++) {
      let result
      try {
        result = this.responseBody[i]!.c2ResponseBody!(exchange, out ?? EMPTY, last)
      } catch (err) {
        throw new HookError('c2ResponseBody', err)
      }
      if (result instanceof Promise) {
        return result.then((settled) => settled, (err: unknown) => {
          throw new HookError('c2ResponseBody', err)
        }).then((settled) => this.c2ResponseBody(exchange, settled ?? EMPTY, last, i + 1))
      }
      out = result
    }
    return out
  }

  /** end: every hook hears it; one that throws costs one stderr line, not the others' turn. */
  end(exchange: Exchange, end: ExchangeEnd, logError: (line: string) => void): void {
    for (const hook of this.ended) {
      try {
        hook.end!(exchange, end)
      } catch (err) {
        logError(`${exchange.request.method} ${exchange.request.url}: ${new HookError('end', err).message}`)
      }
    }
  }
}

/**
 * Runs `hook`'s `phase` method on `exchange` and `head`; a throw becomes a HookError naming the
 * phase. A function, not a closure per call: it runs in every exchange.
 */
function runHook<P extends 'c2Request' | 'c2ResponseHead'>(hook: Hooks, phase: P, exchange: Exchange,
  head: Parameters<NonNullable<Hooks[P]>>[1]): void {
  try {
    (hook[phase] as (exchange: Exchange, head: unknown) => void).call(hook, exchange, head)
  } catch (err) {
    throw new HookError(phase, err)
  }
}

const EMPTY = Buffer.alloc(0)
