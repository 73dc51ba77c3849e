// uproxy's own behaviour as hooks, ahead of the user's: what every exchange of a configuration runs.
import { requestChecks } from '../c1/request-checks.js'
import type { ProxyConfig } from '../config/config.js'
import type { Recorder } from '../inspector/recorder.js'
import { accessLogHook, type Logs } from './access-log.js'
import type { Edge } from './edge.js'
import type { Hooks } from './hooks.js'
import { Phases } from './phases.js'
import { forwardedHeaders } from './request-headers.js'
import { responseHopByHop } from './response-headers.js'

/** What is on besides the built-ins: the edge features and the inspector's recorder, each absent when off. */
export interface Extras {
  readonly edge?: Edge | undefined
  readonly recorder?: Recorder | undefined
}

/**
 * The phases of `config`'s exchanges: the request checks, the forwarded headers and the
 * response's hop-by-hop removal first, then the edge features around `hooks` (the cache's fill
 * before them; its lookup and compression after), and the access line last. An inspector's
 * recorder opens its record before all of them and closes it after. What is off is not in the
 * lists at all.
 */
export function exchangePhases(config: ProxyConfig, hooks: readonly Hooks[], logs: Logs, { edge, recorder }: Extras = {}): Phases {
  return new Phases([
    ...(recorder ? [recorder.first] : []),
    requestChecks,
    forwardedHeaders(config.preserveHost),
    responseHopByHop,
    ...(edge?.before ?? []),
    ...hooks,
    ...(edge?.after ?? []),
    ...(logs.access ? [accessLogHook(logs.access)] : []),
    ...(recorder ? [recorder.last] : []),
  ], recorder?.watcher)
}
