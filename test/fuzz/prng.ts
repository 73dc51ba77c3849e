// A small seeded PRNG (mulberry32): every fuzz case is reproducible from (seed, index).
import { seededRandom } from '../helpers/seeded-random.js'

/** A source of uniform numbers in [0, 1) with helpers; the same seed always gives the same sequence. */
export interface Rng {
  next(): number
  /** an integer in [min, max] */
  int(min: number, max: number): number
  /** true with probability p */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

/** A seeded Rng over seededRandom (mulberry32, Tommy Ettinger, public domain): fast, good enough for input generation. */
export function createRng(seed: number): Rng {
  const next = seededRandom(seed)
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)] as never,
  }
}

/** The seed of case `index` in a run seeded `seed`: a murmur3 finaliser over both, so cases are independent. */
export function caseSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
