// No import cycles in src/: every import, import type and export … from, followed module to module.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import ts from 'typescript'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

/** Every .ts file under `dir`, as absolute paths. */
function listSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return listSources(full)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : []
  })
}

/** The relative module specifiers of a file's import and export-from declarations, `import type` included. */
function readSpecifiers(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
  const specifiers: string[] = []
  for (const statement of source.statements) {
    const from = ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined
    if (from && ts.isStringLiteral(from) && from.text.startsWith('.')) specifiers.push(from.text)
  }
  return specifiers
}

/** src-relative file → the src-relative files it imports. Throws on an import of a file that does not exist. */
function readImportGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of listSources(SRC)) {
    graph.set(path.relative(SRC, file), readSpecifiers(file).map((specifier) => {
      // ESM in TypeScript: './x.js' names the module compiled from './x.ts'
      const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, '.ts')
      if (!existsSync(target)) throw new Error(`${path.relative(SRC, file)} imports ${specifier}, which is not a file in src/`)
      return path.relative(SRC, target)
    }))
  }
  return graph
}

/** The first cycle found, as the files around it ending where it started ([a, b, a]), or undefined. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>()
  const stack: string[] = []
  const visit = (file: string): string[] | undefined => {
    const at = stack.indexOf(file)
    if (at >= 0) return [...stack.slice(at), file]
    if (done.has(file)) return undefined
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    stack.pop()
    done.add(file)
    return undefined
  }
  for (const file of [...graph.keys()].sort()) {
    const cycle = visit(file)
    if (cycle) return cycle
  }
  return undefined
}

t.test('the finder names a cycle, import type included, and passes a graph without one', async (t) => {
  t.same(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]])), ['a.ts', 'b.ts', 'c.ts', 'a.ts'])
  t.same(findCycle(new Map([['a.ts', ['a.ts']]])), ['a.ts', 'a.ts'], 'a file importing itself')
  t.equal(findCycle(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]])), undefined, 'a diamond is no cycle')
  const specifiers = readSpecifiers(path.join(SRC, 'balancing/policy.ts'))
  t.ok(specifiers.includes('./member.js'), `import type is read: got ${JSON.stringify(specifiers)}, want ./member.js among them`)
})

t.test('src/ has no import cycle', async (t) => {
  const graph = readImportGraph()
  const edges = [...graph.values()].reduce((n, list) => n + list.length, 0)
  // a parser that read nothing would find no cycle either
  t.ok(graph.size >= 40 && edges >= 80, `read ${graph.size} files and ${edges} imports, want at least 40 and 80`)
  t.ok(graph.get('workers/thread-proxy.ts')?.includes('routing/live-targets.ts'), 'workers/thread-proxy.ts → routing/live-targets.ts is among the imports read')
  const cycle = findCycle(graph)
  t.notOk(cycle, cycle ? `got the import cycle ${cycle.join(' → ')}, want none` : 'no import cycle')
})
