// The one way uproxy hands a function to uWS, a timer or a backend socket event: an exception thrown in it must not end the process.
import type { HttpResponse } from 'uWebSockets.js'

/**
 * Wraps `fn` so that an exception thrown in it is handed to `recover` with the same arguments,
 * and `recover`'s result is returned instead. uWS 20.30 ends the whole process on an exception thrown inside any of its callbacks
 * (onData, onWritable, onAborted, route and WebSocket handlers), and so does Node for a timer or
 * an event listener: one bad exchange must cost that exchange, never every client's.
 */
export function guarded<A extends unknown[], R>(fn: (...args: A) => R, recover: (err: unknown, args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args)
    } catch (err) {
      return recover(err, args)
    }
  }
}


/** The thrown value as one line for stderr. */
export function describeThrown(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).replace(/\s+/g, ' ')
}

/**
 * A route handler for uWS: should `handler` throw before its exchange could take over, the
 * connection is closed and `logError` gets one line.
 */
export function guardedRoute<A extends [HttpResponse, ...unknown[]]>(handler: (...args: A) => void,
  logError: (line: string) => void): (...args: A) => void {
  return guarded(handler, (err, [res]) => {
    logError(`internal error before the exchange started, connection closed: ${describeThrown(err)}`)
    try {
      res.close()
    } catch {
      // the response had already ended or closed: uWS refuses every call on it
    }
  })
}
