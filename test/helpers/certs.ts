// Test-time TLS material: a throwaway CA and a server certificate it signs, made with openssl.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCerts {
  /** folder holding ca.pem, cert.pem, key.pem (removed by cleanup) */
  dir: string
  caFile: string
  certFile: string
  keyFile: string
  ca: Buffer
  cert: Buffer
  key: Buffer
  cleanup(): void
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })

// P-256 keys: an RSA 2048 key costs ~0.5 s of CPU to make, an EC key ~10 ms
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']

/**
 * Makes a CA and a certificate for `names` (default localhost and 127.0.0.1), valid for a day.
 * IP-looking names become IP SANs, the rest DNS SANs; the first name is the CN.
 */
export function makeCerts(names: string[] = ['localhost', '127.0.0.1']): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'uproxy-certs-'))
  const san = names
    .map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`))
    .join(',')
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`)
  openssl(['req', '-x509', ...NEW_KEY, '-nodes', '-days', '1',
    '-subj', '/CN=uproxy test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem'], dir)
  openssl(['req', ...NEW_KEY, '-nodes', '-subj', `/CN=${names[0]}`,
    '-keyout', 'key.pem', '-out', 'req.pem'], dir)
  openssl(['x509', '-req', '-in', 'req.pem', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem',
    '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'cert.pem'], dir)
  const file = (name: string) => join(dir, name)
  return {
    dir,
    caFile: file('ca.pem'),
    certFile: file('cert.pem'),
    keyFile: file('key.pem'),
    ca: readFileSync(file('ca.pem')),
    cert: readFileSync(file('cert.pem')),
    key: readFileSync(file('key.pem')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
