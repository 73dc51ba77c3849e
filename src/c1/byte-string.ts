// Byte strings (one char per byte): how the client's bytes reach the backend unchanged, and back.

/** Any char above U+007F: the only strings that need the slow path. */
const NON_ASCII = /[^\x00-\x7f]/

/**
 * A string uWS made from the client's bytes (it decodes them as UTF-8) back as those bytes,
 * one char per byte, which undici and node:http write as Latin-1: bytes in are bytes out.
 * ASCII is returned as it is.
 */
export function toByteString(decoded: string): string {
  return NON_ASCII.test(decoded) ? Buffer.from(decoded, 'utf8').toString('latin1') : decoded
}

/** A byte string as the text it encodes in UTF-8, for log lines: the reverse of toByteString. */
export function fromByteString(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes
}

/**
 * A byte string from undici (it hands header values as Latin-1) as something uWS writes
 * byte for byte: uWS would write a string as UTF-8, encoding every byte above 0x7F twice.
 */
export function toUwsBytes(bytes: string): string | Buffer {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1') : bytes
}

/**
 * A byte string as URL text: bytes above 0x7F as %XX. ws parses its address as a WHATWG URL,
 * which would percent-encode each such char as UTF-8, turning one byte into two.
 */
export function percentEncodeNonAscii(bytes: string): string {
  return NON_ASCII.test(bytes) ? bytes.replace(/[^\x00-\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : bytes
}
