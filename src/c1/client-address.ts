// The client's address as text: IPv4 dotted, IPv6 in RFC 5952 form, IPv4-mapped IPv6 as plain IPv4.

/**
 * uWS's `getRemoteAddress()` bytes (4 or 16) as nginx writes them: '127.0.0.1', '::1',
 * '2001:db8::1'. uWS's own text is every IPv6 group in full ('0000:…:0001').
 */
export function formatClientAddress(address: ArrayBuffer): string {
  const b = new Uint8Array(address)
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  if (isIPv4Mapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number))
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes '::', the first of equal runs
  let runStart = -1
  let runLength = 1
  for (let i = 0; i < 8;) {
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > runLength) {
      runStart = i
      runLength = j - i
    }
    i = j === i ? i + 1 : j
  }
  // RFC 5952 §4.1 and §4.3: no leading zeros, lowercase hex
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(':')
  if (runStart < 0) return hex(groups)
  return `${hex(groups.slice(0, runStart))}::${hex(groups.slice(runStart + runLength))}`
}

/** ::ffff:a.b.c.d, what a dual-stack listener sees for an IPv4 client (RFC 4291 §2.5.5.2). */
function isIPv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}
