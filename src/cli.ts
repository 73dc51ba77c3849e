#!/usr/bin/env node
// The bin: parse, start, print the ready line, stop on signals; the only place that exits.
import { createRequire } from 'node:module'
import { nameCliOptions, parseCliArgs, type CliArgs } from './cli/cli-args.js'
import { readConfigFile } from './cli/config-file.js'
import { startProxy, type Proxy } from './index.js'
import { USAGE } from './cli/usage.js'

/** User errors exit 2; a port in use, a missing native binding or anything else exits 1. */
const EXIT_USAGE = 2
const EXIT_FAILURE = 1

async function main(argv: string[]): Promise<void> {
  let proxy: Proxy
  let args: CliArgs
  try {
    args = parseCliArgs(argv)
    if (args.help) return void process.stdout.write(USAGE)
    if (args.version) return void process.stdout.write(`${version()}\n`)
    const fromFile = args.configFile === undefined ? {} : readConfigFile(args.configFile)
    proxy = await startProxy({ ...fromFile, ...args.options }, nameCliOptions(args, fromFile))
  } catch (err) {
    const code = (err as { code?: string }).code
    process.stderr.write(`uproxy: ${(err as Error).message}\n`)
    process.exit(code === 'UPROXY_BAD_CONFIG' ? EXIT_USAGE : EXIT_FAILURE)
  }
  // a closed stdout or stderr (`uproxy | head -1`) must not stop the proxy: its log goes quiet instead
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
  // the first line is the contract scripts wait for; a second listener follows on the next line
  process.stdout.write(proxy.urls.map((url) => `uproxy listening on ${url}\n`).join(''))
  if (proxy.inspectorUrl) process.stdout.write(`uproxy inspector on ${proxy.inspectorUrl}\n`)
  if (proxy.metricsUrl) process.stdout.write(`uproxy metrics on ${proxy.metricsUrl}\n`)
  const stop = () => {
    process.stderr.write('uproxy: shutting down\n')
    proxy.close().then(() => process.exit(0), () => process.exit(EXIT_FAILURE))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  process.on('SIGHUP', () => void reload(proxy, args))
  // logrotate's postrotate sends SIGUSR1, as for nginx; listening also keeps Node from opening its inspector
  process.on('SIGUSR1', () => proxy.reopenLogs())
}

/** SIGHUP: read --config again, flags still over it; a bad file is one stderr line and changes nothing. */
async function reload(proxy: Proxy, args: CliArgs): Promise<void> {
  if (args.configFile === undefined) return void process.stderr.write('uproxy: SIGHUP ignored: there is no --config file to read again\n')
  try {
    const fromFile = readConfigFile(args.configFile)
    await proxy.reload({ ...fromFile, ...args.options }, nameCliOptions(args, fromFile))
    process.stderr.write(`uproxy: reloaded ${args.configFile}\n`)
  } catch (err) {
    process.stderr.write(`uproxy: reload rejected, the running configuration stays: ${(err as Error).message}\n`)
  }
}

function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version
}

void main(process.argv.slice(2))
