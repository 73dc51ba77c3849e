// Where C1 listens: one or more HOST:PORT addresses, each plain HTTP or TLS.
import { ConfigError } from './config-error.js'
import type { NameAt } from './option-kind.js'
import type { NameOption } from './option-kind.js'

/** A listen address as a user writes it: 'HOST:PORT', 'https://HOST:PORT', or an object. */
export type ListenOption = { host?: string; port?: number; tls?: boolean } | string

/** A validated listener. */
export interface Listener {
  readonly host: string
  readonly port: number
  /** serve HTTPS here (uWS SSLApp with the configured certificates) */
  readonly tls: boolean
}

/**
 * Parses 'HOST:PORT', '[::1]:PORT' or ':PORT' (all interfaces), optionally written
 * 'http://HOST:PORT' or 'https://HOST:PORT'. `tls` is set only when a scheme was written.
 */
export function parseListen(text: string, what = 'listen'): { host: string; port: number; tls?: boolean } {
  const match = /^(?:(https?):\/\/)?(?:\[([^\]]+)\]|([^:/]*)):(\d{1,5})$/.exec(text)
  if (!match) throw new ConfigError(`${what}: "${text}" is not HOST:PORT`)
  const address = { host: match[2] ?? (match[3] || '0.0.0.0'), port: toPort(Number(match[4]), text, what) }
  return match[1] === undefined ? address : { ...address, tls: match[1] === 'https' }
}

/**
 * The listeners, in the order given. `hasCertificate` says whether --tls-cert was given.
 * An address that names no scheme is HTTPS when there is a certificate and it is the last
 * one (so `--listen :80 --listen :443` serves HTTP on 80, HTTPS on 443), else plain HTTP.
 */
export function toListeners(listen: ListenOption | ListenOption[], hasCertificate: boolean, name: NameOption<'listen' | 'tlsCert'>): Listener[] {
  const all = Array.isArray(listen) ? listen : [listen]
  if (all.length === 0) throw new ConfigError(`${name('listen')}: want at least one HOST:PORT`)
  const listeners = all.map((each, i) =>
    toListener(each, hasCertificate && i === all.length - 1, (path = '') => name('listen', all.length > 1 ? `[${i}]${path}` : path)))
  if (listeners.some((l) => l.tls) && !hasCertificate) {
    throw new ConfigError(`${name('listen')}: an https:// address needs a certificate (--tls-cert FILE --tls-key FILE)`)
  }
  if (hasCertificate && !listeners.some((l) => l.tls)) {
    throw new ConfigError(`${name('tlsCert')}: every listen address is http://; drop the certificate or add an https:// address`)
  }
  return listeners.map((l) => Object.freeze(l))
}

/** 'https://127.0.0.1:8443', with IPv6 hosts bracketed. */
export function listenerUrl(listener: Listener, port: number): string {
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host
  return `${listener.tls ? 'https' : 'http'}://${host}:${port}`
}

function toListener(listen: ListenOption, tlsByDefault: boolean, at: NameAt): Listener {
  if (typeof listen === 'string') {
    const { host, port, tls } = parseListen(listen, at())
    return { host, port, tls: tls ?? tlsByDefault }
  }
  if (typeof listen !== 'object' || listen === null) throw new ConfigError(`${at()}: want "HOST:PORT" or { host, port }`)
  if (listen.host !== undefined && typeof listen.host !== 'string') throw new ConfigError(`${at('.host')}: want a string, got ${JSON.stringify(listen.host)}`)
  if (listen.tls !== undefined && typeof listen.tls !== 'boolean') throw new ConfigError(`${at('.tls')}: want true or false, got ${JSON.stringify(listen.tls)}`)
  return {
    host: listen.host ?? '0.0.0.0',
    port: toPort(listen.port ?? 8000, String(listen.port), at('.port')),
    tls: listen.tls ?? tlsByDefault,
  }
}

function toPort(port: unknown, text: string, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`${what}: port "${text}" is out of range 0-65535`)
  }
  return port
}

/** Thrown when C1 (or the metrics listener) cannot listen: the port is in use or not permitted. */
export class ListenError extends Error {
  readonly code = 'UPROXY_LISTEN'
}
