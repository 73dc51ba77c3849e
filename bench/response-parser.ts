// Micro-benchmark: uproxy's C2 response parser against Node's own llhttp binding, on the same bytes.
// Run after `npm run build`: npx tsx bench/response-parser.ts
import { Bench } from 'tinybench'
import { ResponseParser } from '../dist/c2/response-parser.js'

/** Node's internal llhttp binding, as node:http drives it (lib/_http_common.js). */
interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void
  execute(data: Buffer): number | Error
  [key: number]: unknown
}
type LlhttpModule = { HTTPParser: (new () => LlhttpParser) & Record<string, number> }
const { HTTPParser } = (process as unknown as { binding(name: string): LlhttpModule }).binding('http_parser')

const head = (framing: string) => Buffer.from(`HTTP/1.1 200 OK\r\nDate: Thu, 03 Dec 2026 01:00:00 GMT\r\nContent-Type: text/plain; charset=utf-8\r\n` +
  `Cache-Control: no-cache\r\nETag: "abcdef0123"\r\nSet-Cookie: a=1; Path=/\r\nVary: Accept-Encoding\r\nX-Request-Id: 0123456789abcdef\r\n${framing}\r\n`, 'latin1')

/** name → the reads one response arrives in */
const RESPONSES: Record<string, Buffer[]> = {
  'small (22 B, Content-Length)': [Buffer.concat([head('Content-Length: 22\r\n'), Buffer.from('origin server response')])],
  '1 MiB Content-Length in 64 KiB reads': split(Buffer.concat([head('Content-Length: 1048576\r\n'), Buffer.alloc(1 << 20, 97)]), 65536),
  '256 KiB chunked (16 KiB chunks) in 64 KiB reads': split(Buffer.concat([head('Transfer-Encoding: chunked\r\n'),
    ...Array.from({ length: 16 }, () => Buffer.concat([Buffer.from('4000\r\n'), Buffer.alloc(16384, 98), Buffer.from('\r\n')])),
    Buffer.from('0\r\n\r\n')]), 65536),
}

function split(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size))
  return out
}

let sink = 0
const ours = new ResponseParser({
  onInformational: () => {},
  onHead: (h) => void (sink += h.headers.length),
  onBody: (chunk) => void (sink += chunk.length),
  onEnd: () => void sink++,
})
const theirs = new HTTPParser()
theirs.initialize(HTTPParser.RESPONSE as number, {}, 0, 0)
theirs[HTTPParser.kOnHeaders as number] = () => {}
theirs[HTTPParser.kOnHeadersComplete as number] = (_maj: number, _min: number, headers: string[]) => void (sink += headers.length)
theirs[HTTPParser.kOnBody as number] = (chunk: Buffer) => void (sink += chunk.length)
theirs[HTTPParser.kOnMessageComplete as number] = () => void sink++
theirs[HTTPParser.kOnExecute as number] = () => {}

const bench = new Bench({ time: Number(process.env.BENCH_MS ?? 1000), warmup: true })
for (const [name, reads] of Object.entries(RESPONSES)) {
  bench.add(`uproxy ${name}`, () => {
    ours.start(false)
    for (const read of reads) if (ours.execute(read)) throw new Error('uproxy parser failed')
  })
  bench.add(`llhttp ${name}`, () => {
    for (const read of reads) if (typeof theirs.execute(read) !== 'number') throw new Error('llhttp failed')
  })
}
await bench.run()
for (const task of bench.tasks) {
  const r = task.result as unknown as { latency?: { mean: number }; mean?: number; throughput?: { mean: number } }
  const meanMs = r.latency?.mean ?? r.mean ?? NaN
  console.log(`${task.name.padEnd(58)} ${(meanMs * 1000).toFixed(2).padStart(9)} µs/response`)
}
if (sink < 0) console.log(sink)
