// Transpile the party scripts to plain JavaScript, so each party runs on bare `node` with no loader.
//
// Why: running the backend or the baseline under tsx would add the loader's memory and threads to the
// figures we compare (RSS above all) — uproxy itself runs from dist/ on bare node.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
/** The repository root (the directory holding package.json, dist/ and node_modules/). */
export const REPO_ROOT = join(BENCH_DIR, '..')
/** Under node_modules so that the compiled files resolve uWebSockets.js like the sources do. */
export const BUILD_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'uproxy-bench')

const PARTY_SOURCES = ['workloads.ts', 'backend.ts', 'node-http-proxy.ts', 'h2-backend.ts']

/** Write BUILD_DIR/<name>.js for each party source; returns BUILD_DIR. */
export function compileParties (): string {
  mkdirSync(BUILD_DIR, { recursive: true })
  // node_modules is a package-scope boundary: say explicitly that these files are ES modules.
  writeFileSync(join(BUILD_DIR, 'package.json'), '{ "type": "module" }\n')
  for (const file of PARTY_SOURCES) {
    const { outputText } = ts.transpileModule(readFileSync(join(BENCH_DIR, file), 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    })
    writeFileSync(join(BUILD_DIR, file.replace(/\.ts$/, '.js')), outputText)
  }
  return BUILD_DIR
}
