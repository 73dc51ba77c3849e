// The public API: startProxy() and its types.
import { toConfig, type OptionNamer, type ProxyOptions } from './config/config.js'
import { nameApiOption } from './config/option-table.js'
import { ConfigError } from './config/config-error.js'
import type { Hooks } from './exchange/hooks.js'
import { startThreadProxy, type Proxy } from './workers/thread-proxy.js'
import { startWorkers } from './workers/worker-set.js'

export { ConfigError }
export { ListenError, type Proxy } from './workers/thread-proxy.js'
export { NativeUwsMissing } from './c1/native-uws.js'
export type { ListenOption, OptionNamer, PolicyName, ProxyOptions, RouteOption, SniOption, VhostOption } from './config/config.js'
export type { AccessLogFormat } from './exchange/access-log-format.js'
export type {
  Answer, C1Request, C2RequestHead, C2ResponseHead, Exchange, ExchangeEnd, FailedAttempt, Hooks, Outcome,
} from './exchange/hooks.js'

/** startProxy's options: the configuration, and the hooks that run in every exchange's phases. */
export interface StartOptions extends ProxyOptions {
  /**
   * Objects with one method per phase of an exchange (docs/exchange.md), run in order after
   * uproxy's own; they stay as started across reload().
   */
  hooks?: readonly Hooks[]
}

/** Each hook is an object whose phase methods are functions: one-line ConfigError otherwise. */
function checkHooks(hooks: unknown): asserts hooks is readonly Hooks[] {
  if (!Array.isArray(hooks)) throw new ConfigError('hooks: want an array of objects with phase methods')
  const phases = ['c1Request', 'c2Request', 'c2ResponseHead', 'c2ResponseBody', 'end']
  hooks.forEach((hook: unknown, i) => {
    if (typeof hook !== 'object' || hook === null) throw new ConfigError(`hooks[${i}]: want an object with phase methods`)
    for (const [name, method] of Object.entries(hook)) {
      if (!phases.includes(name)) throw new ConfigError(`hooks[${i}]: unknown phase "${name}" (want ${phases.join(', ')})`)
      if (typeof method !== 'function') throw new ConfigError(`hooks[${i}].${name}: want a function`)
    }
  })
}

/**
 * Starts a proxy: C1 on `listen`, C2 to `backend` and `routes`.
 * Throws ConfigError for bad options, NativeUwsMissing without the native uWS binding,
 * ListenError when the address cannot be bound. A ConfigError names the option by its API
 * name ('routes[0]'), or as `nameOption` does (a command line names its flags).
 */
export async function startProxy(options: StartOptions = {}, nameOption: OptionNamer = nameApiOption): Promise<Proxy> {
  const { hooks = [], ...proxyOptions } = options
  const config = toConfig(proxyOptions, nameOption)
  checkHooks(hooks)
  if (config.workers === 1) return startThreadProxy(config, hooks, nameOption)
  if (hooks.length > 0) {
    throw new ConfigError(`${nameOption('workers')}: hooks are functions of this process and cannot run in worker processes; use 1 worker`)
  }
  return startWorkers(config, proxyOptions, nameOption)
}
