// The bytes C2 writes for a request: its head in one string, and the chunked framing of a streamed body.

/** Methods whose request without a body still says so with Content-Length: 0 (RFC 9110 §8.6, as undici and Go do). */
const EXPECTS_CONTENT = new Set(['POST', 'PUT', 'PATCH'])

/**
 * The request head, CRLFs and blank line included; `chunked` adds Transfer-Encoding for a body
 * of unknown length. `host` is sent when `headers` (lowercase names) carry none: HTTP/1.1
 * requires it (RFC 9112 §3.2).
 */
export function formatRequestHead(method: string, path: string, headers: string[], hasBody: boolean,
  host: string): { head: string; chunked: boolean } {
  let head = `${method} ${path} HTTP/1.1\r\n`
  let hasLength = false
  let hasHost = false
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    if (name === 'content-length') hasLength = true
    else if (name === 'host') hasHost = true
    head += `${name}: ${headers[i + 1] as string}\r\n`
  }
  if (!hasHost) head += `host: ${host}\r\n`
  const chunked = hasBody && !hasLength
  if (chunked) head += 'transfer-encoding: chunked\r\n'
  else if (!hasBody && !hasLength && EXPECTS_CONTENT.has(method)) head += 'content-length: 0\r\n'
  return { head: `${head}\r\n`, chunked }
}

/** The line before a chunk of `size` bytes (RFC 9112 §7.1). */
export function chunkSizeLine(size: number): string {
  return `${size.toString(16)}\r\n`
}

/** The last chunk and the empty trailer section. */
export const LAST_CHUNK = '0\r\n\r\n'
