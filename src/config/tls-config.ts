// C1's certificates: the default one and one per SNI server name, checked before uWS sees them.
import { readFileSync } from 'node:fs'
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { ConfigError } from './config-error.js'
import type { NameOption } from './option-kind.js'

/** A certificate for one server name as a user writes it (file paths). */
export interface SniOption {
  cert: string
  key: string
  /** passphrase of an encrypted key (default: the top-level `tlsPassphrase`) */
  passphrase?: string
}

/** PEM files uWS will load, already known to be readable, parseable and matching. */
export interface CertificateFiles {
  readonly cert: string
  readonly key: string
  readonly passphrase: string | undefined
}

/** The validated TLS settings of the https:// listeners. */
export interface TlsConfig {
  /** served to clients that send no server name or one that `sni` does not list */
  readonly defaultCertificate: CertificateFiles
  /** per server name (lowercase), in the order given */
  readonly sni: readonly (CertificateFiles & { readonly name: string })[]
}

/** What toTlsConfig reads from ProxyOptions, the strings already checked. */
export interface TlsOptions {
  tlsCert: string | undefined
  tlsKey: string | undefined
  tlsPassphrase: string | undefined
  sni: unknown
}

/**
 * Validates the TLS options, or returns undefined when none is given. uWS only reports
 * "App construction failed" for a bad file (and nothing at all for a bad SNI file), so each
 * file is read and parsed here and a ConfigError names the one at fault, through `name`.
 */
export function toTlsConfig(options: TlsOptions, name: NameOption<'sni' | 'tlsCert' | 'tlsKey' | 'tlsPassphrase'>): TlsConfig | undefined {
  const { tlsCert, tlsKey, tlsPassphrase: passphrase, sni } = options
  if (tlsCert === undefined && tlsKey === undefined) {
    if (sni !== undefined) throw new ConfigError(`${name('sni')}: needs a default certificate too (--tls-cert FILE --tls-key FILE)`)
    if (passphrase !== undefined) throw new ConfigError(`${name('tlsPassphrase')}: given without --tls-cert and --tls-key`)
    return undefined
  }
  if (tlsCert === undefined) throw new ConfigError(`${name('tlsKey')}: given without --tls-cert FILE`)
  if (tlsKey === undefined) throw new ConfigError(`${name('tlsCert')}: given without --tls-key FILE`)
  const defaultCertificate = checkCertificate(tlsCert, tlsKey, passphrase, name('tlsCert'), name('tlsKey'))
  if (sni !== undefined && (typeof sni !== 'object' || sni === null || Array.isArray(sni))) {
    throw new ConfigError(`${name('sni')}: want { "host.name": { "cert": FILE, "key": FILE } }`)
  }
  const names = Object.entries((sni ?? {}) as Record<string, Partial<SniOption> | null>).map(([host, files]) => {
    const at = (path = '') => name('sni', ` "${host}"${path}`)
    if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(host)) throw new ConfigError(`${at()}: not a host name`)
    if (typeof files !== 'object' || files === null) throw new ConfigError(`${at()}: want { cert, key }`)
    const cert = optionalString(files.cert, at('.cert'))
    const key = optionalString(files.key, at('.key'))
    if (cert === undefined || key === undefined) throw new ConfigError(`${at()}: want { cert, key }`)
    const own = optionalString(files.passphrase, at('.passphrase')) ?? passphrase
    return Object.freeze({ name: host.toLowerCase(), ...checkCertificate(cert, key, own, at(' cert'), at(' key')) })
  })
  return Object.freeze({ defaultCertificate, sni: Object.freeze(names) })
}

/** Reads a certificate and its key, and checks that they are PEM and belong together. */
function checkCertificate(certFile: string, keyFile: string, passphrase: string | undefined,
  certWhat: string, keyWhat: string): CertificateFiles {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(readTlsFile(certFile, certWhat))
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`${certWhat}: "${certFile}" holds no PEM certificate`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey({ key: readTlsFile(keyFile, keyWhat), format: 'pem', ...(passphrase ? { passphrase } : {}) })
  } catch (err) {
    if (err instanceof ConfigError) throw err
    const code = (err as { code?: string }).code
    const why = code === 'ERR_MISSING_PASSPHRASE' || /DECRYPT/.test(code ?? '') ? 'encrypted and the passphrase is missing or wrong' : 'holds no PEM private key'
    throw new ConfigError(`${keyWhat}: "${keyFile}" ${why}`)
  }
  if (!cert.checkPrivateKey(key)) throw new ConfigError(`${keyWhat}: "${keyFile}" is not the key of "${certFile}"`)
  return Object.freeze({ cert: certFile, key: keyFile, passphrase })
}

function readTlsFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new ConfigError(`${what}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`)
  }
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw new ConfigError(`${what}: want a string, got ${JSON.stringify(value)}`)
}
