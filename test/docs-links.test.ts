// Every relative link in the README, docs/, bench/ and the tutorials leads to a file, and to a heading when it names one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Docs that other branches are writing: a link to one of them may point nowhere until they
 * merge (reported as todo, not as a failure). Remove a name once its file is in the tree.
 */
/** A link as written in a markdown file. */
interface Link {
  target: string
  line: number
}

/** The markdown files whose links are checked, relative to the repository. */
function listMarkdownFiles(): string[] {
  const docs = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)
  const tutorials = readdirSync(join(REPO, 'tutorials'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('README.md')).map((f) => `tutorials/${f}`)
  return ['README.md', 'bench/README.md', ...docs.sort(), ...tutorials.sort()]
}

/** The text outside fenced code blocks and code spans, with the same line numbers. */
function stripCode(markdown: string): string {
  let fenced = false
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced
      return ''
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, '')
  }).join('\n')
}

/** Inline links and images, `[text](target "title")`, their text possibly over several lines. */
function readLinks(markdown: string): Link[] {
  const text = stripCode(markdown)
  const links: Link[] = []
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const line = text.slice(0, match.index).split('\n').length
    links.push({ target: match[1] as string, line })
  }
  return links
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function readAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const text = (heading[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    const slug = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-')
    const n = seen.get(slug) ?? 0
    seen.set(slug, n + 1)
    anchors.add(n === 0 ? slug : `${slug}-${n}`)
  }
  return anchors
}

/** What is wrong with a link to `inRepo` (`absolute` on disk) and `anchor`, in "got X, want Y" words; undefined when nothing is. */
function findProblem(inRepo: string, absolute: string, anchor: string | undefined): string | undefined {
  if (inRepo.startsWith('..')) return `got a path outside the repository (${inRepo}), want one inside it`
  if (!existsSync(absolute)) return `got no file ${inRepo}, want an existing file`
  if (!anchor || statSync(absolute).isDirectory() || !absolute.endsWith('.md')) return undefined
  const anchors = readAnchors(readFileSync(absolute, 'utf8'))
  if (anchors.has(anchor)) return undefined
  return `got no heading #${anchor} in ${inRepo}, want one of ${[...anchors].join(', ')}`
}

const files = listMarkdownFiles()
let checked = 0

for (const file of files) {
  t.test(file, async (t) => {
    const markdown = readFileSync(join(REPO, file), 'utf8')
    for (const { target, line } of readLinks(markdown)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // http:, https:, mailto:
      checked++
      const [path = '', anchor] = target.split('#', 2)
      const absolute = path ? resolve(REPO, dirname(file), decodeURIComponent(path)) : join(REPO, file)
      const inRepo = relative(REPO, absolute)
      const where = `${file}:${line} links to ${target}`
      const problem = findProblem(inRepo, absolute, anchor)
      if (!problem) t.pass(where)
      else t.fail(`${where}: ${problem}`)
    }
  })
}

t.test('the docs index lists every doc', async (t) => {
  const index = readLinks(readFileSync(join(REPO, 'docs/README.md'), 'utf8')).map((l) => l.target)
  for (const doc of files.filter((f) => f.startsWith('docs/') && f !== 'docs/README.md')) {
    const name = doc.slice('docs/'.length)
    t.ok(index.includes(name), `docs/README.md lists ${name} (got no link to it, want one line)`)
  }
})

t.test('links were found to check', async (t) => {
  t.ok(checked >= 100, `relative links checked: got ${checked} across ${files.length} files, want at least 100`)
})
