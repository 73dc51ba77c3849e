// ip-hash: the same client address goes to the same backend while that backend is up.
import type { BalancePolicy } from './balance-policy.js'
import type { Member } from './member.js'

/**
 * Weighted rendezvous hashing (highest random weight): each member scores hash(client,
 * backend URL) and the highest eligible score wins. A client stays on its backend while that
 * backend is eligible; when it is down only its own clients move, and they come back when it
 * returns (nginx's ip_hash rehashes instead, and moves more clients than the lost backend had).
 */
export class IpHash implements BalancePolicy {
  private readonly seeds: number[]

  constructor(private readonly members: readonly Member[]) {
    this.seeds = members.map((member) => fnv1a(member.backend.url, FNV_OFFSET))
  }

  pick(eligible: (i: number) => boolean, clientAddress: string): number {
    const { members, seeds } = this
    const client = fnv1a(clientAddress, FNV_OFFSET)
    let best = -1
    let bestScore = -Infinity
    for (let i = 0; i < members.length; i++) {
      if (!eligible(i)) continue
      // a uniform draw in (0, 1) from the pair; -weight / ln(u) is the weighted HRW score
      const u = (mix(client ^ (seeds[i] as number)) + 0.5) / 4294967296
      const score = -(members[i] as Member).backend.weight / Math.log(u)
      if (score > bestScore) {
        best = i
        bestScore = score
      }
    }
    return best
  }
}

const FNV_OFFSET = 0x811c9dc5

/** FNV-1a, 32 bits, over the string's UTF-16 code units. */
function fnv1a(text: string, hash: number): number {
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}

/** murmur3's 32-bit finaliser: spreads FNV's weak low bits over the whole word. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
