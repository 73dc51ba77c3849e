// Raw request targets through the proxy, and which named origin each reached with what path: for the path normalisation tests.
import type { Test } from 'tap'
import { startOrigin, type Origin } from './origin.js'
import { rawExchange } from './raw-socket.js'

/** An origin that answers with its name. */
export const named = (t: Test, name: string) => startOrigin(t, (_req, res) => res.end(name))

/** Sends `target` raw (so no client normalises it) and returns 'STATUS name-that-answered'. */
export async function send(port: number, target: string): Promise<string> {
  const reply = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 3000)
  const status = /^HTTP\/1\.1 (\d{3})/.exec(reply.text)?.[1] ?? 'no answer'
  return `${status} ${reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4)}`
}

/** Each target → what answered and the path that reached the origin. */
export async function routeAll(port: number, origins: Record<string, Origin>, targets: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const target of targets) {
    const answer = await send(port, target)
    const origin = origins[answer.split(' ')[1] ?? '']
    out[target] = origin ? `${answer} ${origin.seen.shift()?.url}` : answer
  }
  return out
}
