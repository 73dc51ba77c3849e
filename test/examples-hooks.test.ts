// examples/hooks.ts, run as its header says: every claim of its header comment, over real sockets.
import t from 'tap'
import { request } from 'undici'
import { startOrigin } from './helpers/origin.js'
import { startScript } from './helpers/tutorial-step.js'

t.test('npx tsx examples/hooks.ts BACKEND_URL', async (t) => {
  let release = () => {}
  const origin = await startOrigin(t, (req, res) => {
    if (req.url === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': '11' })
      res.write('hello ')
      release = () => res.end('world')
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"quiet":true}')
  })
  const proxy = await startScript(t, 'examples/hooks.ts', [origin.url])
  t.match(proxy.readyLine, /^uproxy listening on http:\/\/127\.0\.0\.1:\d+$/, 'the usual ready line')

  const blocked = await request(`${proxy.url}/blocked`)
  t.equal(blocked.statusCode, 403, '/blocked: 403')
  t.equal(await blocked.body.text(), 'blocked by a hook\n')
  t.equal(origin.seen.length, 0, 'no backend was asked for /blocked')

  const json = await request(`${proxy.url}/json`)
  t.equal(json.headers['x-seen'], '1', 'x-seen: 1 on every response')
  t.equal(await json.body.text(), '{"quiet":true}', 'a body that is not text/plain is left as it is')
  t.equal(origin.seen[0]?.headers['x-hooked'], '1', 'x-hooked: 1 on every backend request')

  const text = await request(`${proxy.url}/text`)
  t.equal(text.headers['x-seen'], '1')
  const chunks = text.body[Symbol.asyncIterator]()
  t.equal(Buffer.from((await chunks.next()).value as Buffer).toString(), 'HELLO ', 'upper-cased as it streams: the first chunk before the backend ends')
  release()
  let rest = ''
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest += Buffer.from(next.value as Buffer).toString()
  t.equal(rest, 'WORLD')
})
