// uWebSockets.js runs on its native binding, and the CLI refuses the slow JS fallback.
import t from 'tap'
import { isNativeBinding, loadNativeUws, type Uws } from '../src/c1/native-uws.js'
import { runCli } from './helpers/proxy.js'

t.test('the loaded uWebSockets.js is the native addon', async (t) => {
  const uws = loadNativeUws()
  t.equal(isNativeBinding(uws), true, 'want isNativeBinding true')
  t.match(Function.prototype.toString.call(uws.App), /\[native code\]/, 'want App to be native code')
  t.equal(loadNativeUws(), uws, 'loaded once')
})

t.test('isNativeBinding says no to a JavaScript App', async (t) => {
  const shim = { App: function App() { return {} } } as unknown as Uws
  t.equal(isNativeBinding(shim), false, 'a JS function App: want false')
  const arrow = { App: () => ({}) } as unknown as Uws
  t.equal(isNativeBinding(arrow), false, 'an arrow App: want false')
})

t.test('with UWS_USE_FALLBACK=1 the CLI exits 1 with one line saying the native binding is missing', async (t) => {
  const run = runCli(t, ['--listen', '127.0.0.1:0', '--quiet', 'http://127.0.0.1:9'], { UWS_USE_FALLBACK: '1' })
  t.equal(await run.exited, 1, 'want exit code 1')
  const lines = run.stderr().trim().split('\n')
  t.equal(lines.length, 1, `want one stderr line, got ${JSON.stringify(run.stderr())}`)
  t.match(lines[0], /^uproxy: the native uWebSockets\.js binding did not load/, 'want the line to say the native binding is missing')
  t.notMatch(run.stderr(), /^\s+at /m, 'want no stack trace')
  t.equal(run.stdout(), '', 'want nothing on stdout: no ready line, no fallback chatter')
})
