// uproxy's own behaviour as hooks, ahead of the user's: what every exchange of a configuration runs.
import { requestChecks } from '../c1/request-checks.js'
import type { ProxyConfig } from '../config/config.js'
import { accessLogHook, type Logs } from './access-log.js'
import type { Hooks } from './hooks.js'
import { Phases } from './phases.js'
import type { Recorder } from '../inspector/recorder.js'
import { forwardedHeaders } from './request-headers.js'
import { responseHopByHop } from './response-headers.js'

/**
 * The phases of `config`'s exchanges: the request checks, the forwarded headers and the
 * response's hop-by-hop removal first, then `hooks` in order, and the access line last. An
 * inspector's `recorder` opens its record before all of them and closes it after; without
 * one, nothing of it is in the lists.
 */
export function exchangePhases(config: ProxyConfig, hooks: readonly Hooks[], logs: Logs, recorder?: Recorder): Phases {
  return new Phases([
    ...(recorder ? [recorder.first] : []),
    requestChecks,
    forwardedHeaders(config.preserveHost),
    responseHopByHop,
    ...hooks,
    ...(logs.access ? [accessLogHook(logs.access)] : []),
    ...(recorder ? [recorder.last] : []),
  ], recorder?.watcher)
}
