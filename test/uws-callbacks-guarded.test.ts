// An audit that fails on the next unguarded callback: every function src/ hands to uWS goes through a guard.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

const SRC = new URL('../src', import.meta.url).pathname

/**
 * uWS calls that take a callback (an exception thrown in one ends the process, uWS 20.30): the
 * response's hooks (the uWS response is `res` everywhere in src/), and an app's routes, which alone take a pattern string and then a function.
 */
const REGISTRATION = /(?:\bres\.on(?:Data|Writable|Aborted|FullData)\(|\.(?:any|get|post|put|del|patch|options|head|connect|trace|ws)\(\s*'[^']*',\s*)/g

/** What a guarded callback starts with: C1's guard, the tunnel's, the route guard, or the WebSocket behavior (which guards each event). */
const GUARDED = /^(this\.guard\(|c1\.guard\(|guardedRoute\(|c1WebSocketBehavior\(guardedRoute\()/

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])
}

t.test('every uWS callback registration in src/ is guarded', async (t) => {
  let registrations = 0
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(REGISTRATION)) {
      const rest = text.slice((match.index ?? 0) + match[0].length, (match.index ?? 0) + match[0].length + 60)
      registrations++
      const line = text.slice(0, match.index).split('\n').length
      t.match(rest, GUARDED, `${file.slice(SRC.length)}:${line} hands uWS a guarded callback (got ${JSON.stringify(rest.slice(0, 40))})`)
    }
  }
  // onAborted, onData, onWritable, the exchange and WebSocket routes, the redirect route
  t.ok(registrations >= 6, `found ${registrations} registrations, want at least 6 (the audit must see them)`)
})

t.test('the WebSocket behavior hands every event to its tunnel\'s guard', async (t) => {
  const text = readFileSync(join(SRC, 'websocket', 'c1-behavior.ts'), 'utf8')
  for (const event of ['open', 'message', 'drain', 'ping', 'close']) {
    t.match(text, new RegExp(`\\n\\s+${event}: (\\(ws\\) => )?on\\(`), `${event} goes through on(), the tunnel's guard`)
  }
})
