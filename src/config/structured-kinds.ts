// Kinds of the options with structure (listen, backends, routes, virtual hosts, SNI): their flags' syntax.
import { ConfigError } from './config-error.js'
import type { RouteOption, VhostOption } from './host-config.js'
import { parseListen, type ListenOption } from './listen-address.js'
import type { OptionKind } from './option-kind.js'
import type { SniOption } from './tls-config.js'

/** 'HOST:PORT', repeatable: one address as it is, several as an array. toConfig checks the API value. */
export const LISTEN_ADDRESSES: OptionKind<ListenOption | ListenOption[]> = {
  type: '"HOST:PORT" | { host, port, tls } | an array of them',
  syntax: {
    takes: 'many',
    metavar: 'HOST:PORT',
    parse: (texts, flag) => (texts.length === 1 ? parseListen(texts[0] as string, flag) : texts.map((text) => parseListen(text, flag))),
  },
}

/** 'URL[,URL…]' as written; toConfig checks it, with the HTTP/2 choice of the route it belongs to. */
export const BACKEND_LIST: OptionKind<string | string[]> = {
  type: '"URL[,URL*WEIGHT…]" | string[]',
  syntax: { takes: 'one', metavar: 'URL[,URL…]', parse: (text) => text },
}

/** 'PREFIX=URL[,URL…]', repeatable → routes. */
export const ROUTE_LIST: OptionKind<RouteOption[]> = {
  type: '{ prefix, backend, rewrite?, backendH2?, balance? }[]',
  syntax: {
    takes: 'many',
    metavar: 'PREFIX=URL[,URL…]',
    parse: (texts, flag) => texts.map((text) => {
      const [prefix, backend] = splitPair(text, flag, 'PREFIX=URL')
      return { prefix, backend }
    }),
  },
}

/** 'HOST=URL[,URL…]', repeatable → { host: 'URL[,URL…]' }, hosts lowercased. */
export const VHOST_LIST: OptionKind<Record<string, string | string[] | VhostOption>> = {
  type: '{ "HOST": "URL[,URL…]" | { backend, balance?, routes? } }',
  syntax: {
    takes: 'many',
    metavar: 'HOST=URL[,URL…]',
    parse: (texts, flag) => {
      const vhosts: Record<string, string> = {}
      for (const text of texts) {
        const [name, backend] = splitPair(text, flag, 'HOST=URL[,URL…]')
        const host = name.toLowerCase()
        if (Object.hasOwn(vhosts, host)) throw new ConfigError(`${flag}: host "${host}" is given twice`)
        vhosts[host] = backend
      }
      return vhosts
    },
  },
}

/** 'HOST=CERT,KEY', repeatable → { host: { cert, key } }. */
export const SNI_LIST: OptionKind<Record<string, SniOption>> = {
  type: '{ "HOST": { cert, key, passphrase? } }',
  syntax: {
    takes: 'many',
    metavar: 'HOST=CERT,KEY',
    parse: (texts, flag) => Object.fromEntries(texts.map((text) => {
      const match = /^([^=]+)=([^,]+),(.+)$/.exec(text)
      if (!match) throw new ConfigError(`${flag}: "${text}" is not HOST=CERT_FILE,KEY_FILE`)
      return [match[1] as string, { cert: match[2] as string, key: match[3] as string }]
    })),
  },
}

/** 'NAME=VALUE' → [NAME, VALUE], both non-empty. */
function splitPair(text: string, flag: string, form: string): [string, string] {
  const at = text.indexOf('=')
  if (at <= 0 || at === text.length - 1) throw new ConfigError(`${flag}: "${text}" is not ${form}`)
  return [text.slice(0, at), text.slice(at + 1)]
}
