// Hooks: uproxy's exchange phases in user code — answer before any backend, change what goes out and what comes back.
//
//   npx tsx examples/hooks.ts BACKEND_URL
//
// Starts a proxy on 127.0.0.1 (a free port; the ready line names it) in front of BACKEND_URL whose hooks
// answer 403 to /blocked before any backend is picked, add `x-hooked: 1` to every backend request,
// add `x-seen: 1` to every response, and upper-case text/plain bodies as they stream.
import { startProxy, type Hooks } from '../src/index.js'

/** Answers /blocked itself: no backend is picked, none is asked. */
const blockPath: Hooks = {
  c1Request: ({ request }) => (request.c2Path === '/blocked' ? { status: 403, body: 'blocked by a hook\n' } : undefined),
}

/** Tags what goes out and what comes back. */
const tag: Hooks = {
  c2Request: (_exchange, request) => void request.headers.push('x-hooked', '1'),
  c2ResponseHead: (_exchange, head) => void (head.headers['x-seen'] = '1'),
}

/** Upper-cases text/plain bodies chunk by chunk: the client sees each chunk as the backend sends it. */
const shout: Hooks = {
  c2ResponseHead(exchange, head) {
    const type = head.headers['content-type']
    const plain = typeof type === 'string' && type.startsWith('text/plain')
    if (plain) {
      // the length may change (ß becomes SS): the body goes out chunked
      delete head.headers['content-length']
      shouting.add(exchange.id)
    }
  },
  c2ResponseBody: (exchange, chunk) => (shouting.has(exchange.id) ? Buffer.from(chunk.toString('utf8').toUpperCase()) : chunk),
  end: (exchange) => void shouting.delete(exchange.id),
}
const shouting = new Set<number>()

const backend = process.argv[2]
if (!backend) {
  console.error('usage: npx tsx examples/hooks.ts BACKEND_URL')
  process.exit(2)
}
const proxy = await startProxy({ backend, listen: { host: '127.0.0.1', port: 0 }, hooks: [blockPath, tag, shout] })
console.log(`uproxy listening on ${proxy.url}`)
process.once('SIGINT', () => void proxy.close())
process.once('SIGTERM', () => void proxy.close())
