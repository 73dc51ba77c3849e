// two-random-choices: draw two backends at random, send to the less loaded (the power of two choices).
import type { BalancePolicy, Peer } from './policy.js'

/**
 * Draws two distinct eligible peers and takes the one with fewer in-flight exchanges per unit
 * of weight (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001):
 * nearly least-connections' balance without every proxy herding onto the same idle backend.
 * With a single eligible peer that peer is taken; ties go to the first draw.
 */
export class TwoRandomChoices implements BalancePolicy {
  constructor(private readonly peers: readonly Peer[], private readonly random: () => number) {}

  pick(eligible: (i: number) => boolean): number {
    const { peers } = this
    let count = 0
    for (let i = 0; i < peers.length; i++) if (eligible(i)) count++
    if (count <= 1) return count === 1 ? this.nth(eligible, 0) : -1
    const first = Math.min(count - 1, Math.floor(this.random() * count))
    let second = Math.min(count - 2, Math.floor(this.random() * (count - 1)))
    if (second >= first) second++
    const a = this.nth(eligible, first)
    const b = this.nth(eligible, second)
    return score(peers[b] as Peer) < score(peers[a] as Peer) ? b : a
  }

  /** The index of the n-th eligible peer (counting from 0). */
  private nth(eligible: (i: number) => boolean, n: number): number {
    for (let i = 0; i < this.peers.length; i++) if (eligible(i) && n-- === 0) return i
    return -1
  }
}

function score(peer: Peer): number {
  return peer.load.inFlight / peer.weight
}
