// Step 10 — from tutorial to product: the same flags, served by uproxy's own startProxy().
// Run: npx tsx tutorials/10-tutorial-to-product/main.ts [--listen HOST:PORT] [--backend URL]
//        [--ca FILE] [--route PREFIX=URL ...] [--rewrite]
import { parseArgs } from 'node:util'
import { startProxy } from '../../src/index.js' // the package itself: `import { startProxy } from 'uproxy'`

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:8000' },
    backend: { type: 'string', default: 'http://127.0.0.1:8081' },
    ca: { type: 'string' },
    route: { type: 'string', multiple: true, default: [] },
    rewrite: { type: 'boolean', default: false },
  },
})

// The steps' "PREFIX=URL" flags become the API's route objects; uproxy validates them all.
const routes = values.route.map((flag) => {
  const i = flag.indexOf('=')
  return { prefix: flag.slice(0, i), backend: flag.slice(i + 1) }
})

// A bad flag or a port in use is one line, as in every step: uproxy's errors say what is wrong.
const proxy = await startProxy({
  listen: values.listen,
  backend: values.backend,
  routes,
  rewrite: values.rewrite,
  ca: values.ca ? [values.ca] : undefined,
}).catch((err: Error) => {
  console.error(err.message)
  process.exit(1)
})
console.log(`uproxy listening on ${proxy.url}`)

// Ctrl-C: stop accepting, let in-flight exchanges finish, then exit.
process.once('SIGINT', () => void proxy.close().then(() => process.exit(0)))
