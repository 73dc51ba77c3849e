// Loads uWebSockets.js and refuses the slow pure-JS fallback that its republish slips in silently.
import { createRequire } from 'node:module'
import type * as uWS from 'uWebSockets.js'

export type Uws = typeof uWS

/** Thrown when uWebSockets.js has no native binary for this platform and Node ABI. */
export class NativeUwsMissing extends Error {
  readonly code = 'UPROXY_NATIVE_UWS_MISSING'
}

let loaded: Uws | undefined

/**
 * The native uWebSockets.js binding, loaded once. The package prints a warning and
 * returns a JS shim when its binary fails to load (or when UWS_USE_FALLBACK is set);
 * that shim is several times slower, so uproxy refuses to run on it.
 */
export function loadNativeUws(): Uws {
  if (loaded) return loaded
  const said: string[] = []
  const { log, warn } = console
  // The package explains the fallback on stdout/stderr; keep it for our one-line error instead.
  console.log = console.warn = (...args: unknown[]) => void said.push(args.join(' '))
  let uws: Uws
  try {
    uws = createRequire(import.meta.url)('uWebSockets.js') as Uws
  } finally {
    console.log = log
    console.warn = warn
  }
  if (!isNativeBinding(uws)) {
    const why = said.join(' ').replace(/\s+/g, ' ').trim()
    throw new NativeUwsMissing(
      `the native uWebSockets.js binding did not load for Node ${process.version} ` +
        `(${process.platform}-${process.arch}, ABI ${process.versions.modules})${why ? `: ${why}` : ''}`,
    )
  }
  loaded = uws
  return uws
}

/** True when `uws.App` comes from the compiled addon rather than the JavaScript shim. */
export function isNativeBinding(uws: Uws): boolean {
  return Function.prototype.toString.call(uws.App).includes('[native code]')
}
