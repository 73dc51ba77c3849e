// uproxy's own behaviour as hooks, ahead of the user's: what every exchange of a configuration runs.
import { requestChecks } from '../c1/request-checks.js'
import type { ProxyConfig } from '../config/config.js'
import { accessLogHook, type Logs } from './access-log.js'
import type { Edge } from './edge.js'
import type { Hooks } from './hooks.js'
import { Phases } from './phases.js'
import { forwardedHeaders } from './request-headers.js'
import { responseHopByHop } from './response-headers.js'

/**
 * The phases of `config`'s exchanges: the request checks, the forwarded headers and the
 * response's hop-by-hop removal first, then the edge features around `hooks` (the cache's fill
 * before them; its lookup and compression after), and the access line last.
 */
export function exchangePhases(config: ProxyConfig, hooks: readonly Hooks[], logs: Logs, edge?: Edge): Phases {
  return new Phases([
    requestChecks,
    forwardedHeaders(config.preserveHost),
    responseHopByHop,
    ...(edge?.before ?? []),
    ...hooks,
    ...(edge?.after ?? []),
    ...(logs.access ? [accessLogHook(logs.access)] : []),
  ])
}
