// Which content coding a client's Accept-Encoding asks for, among those uproxy makes: br and gzip.

/** A coding uproxy can produce. */
export type Encoding = 'br' | 'gzip'

/**
 * The coding to use for `header` (RFC 9110 §12.5.3): the highest q-value above 0 among br and
 * gzip, `*` standing for one not listed, br at equal q (smaller for the same text); undefined
 * when neither is acceptable or there is no header (identity, as a client without it expects).
 */
export function pickEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';')
    const coding = name.trim().toLowerCase()
    if (!coding) continue
    let weight = 1
    for (const param of params) {
      const match = /^\s*q\s*=\s*([01](\.\d{0,3})?)\s*$/i.exec(param)
      if (match) weight = Number(match[1])
    }
    // x-gzip is gzip (RFC 9110 §8.4.1.3)
    q.set(coding === 'x-gzip' ? 'gzip' : coding, weight)
  }
  const star = q.get('*') ?? 0
  const br = q.get('br') ?? star
  const gzip = q.get('gzip') ?? star
  if (br <= 0 && gzip <= 0) return undefined
  return br >= gzip ? 'br' : 'gzip'
}
