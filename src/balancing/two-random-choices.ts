// two-random-choices: draw two backends at random, send to the less loaded (the power of two choices).
import type { BalancePolicy } from './balance-policy.js'
import type { Member } from './member.js'

/**
 * Draws two distinct eligible members and takes the one with fewer in-flight exchanges per
 * unit of weight (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001):
 * nearly least-connections' balance without every proxy herding onto the same idle backend.
 * With a single eligible member that one is taken; ties go to the first draw.
 */
export class TwoRandomChoices implements BalancePolicy {
  constructor(private readonly members: readonly Member[], private readonly random: () => number) {}

  pick(eligible: (i: number) => boolean): number {
    const { members } = this
    let count = 0
    for (let i = 0; i < members.length; i++) if (eligible(i)) count++
    if (count <= 1) return count === 1 ? this.nth(eligible, 0) : -1
    const first = Math.min(count - 1, Math.floor(this.random() * count))
    let second = Math.min(count - 2, Math.floor(this.random() * (count - 1)))
    if (second >= first) second++
    const a = this.nth(eligible, first)
    const b = this.nth(eligible, second)
    return score(members[b] as Member) < score(members[a] as Member) ? b : a
  }

  /** The index of the n-th eligible member (counting from 0). */
  private nth(eligible: (i: number) => boolean, n: number): number {
    for (let i = 0; i < this.members.length; i++) if (eligible(i) && n-- === 0) return i
    return -1
  }
}

function score(member: Member): number {
  return member.load.inFlight / member.backend.weight
}
