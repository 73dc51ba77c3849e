// A fixed-size ring of the last N items: memory stays flat however many go through it.
/** Keeps the last `capacity` items pushed; older ones are dropped as new ones come. */
export class Ring<T> {
  private readonly items: (T | undefined)[]
  private next = 0
  private size = 0

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity)
  }

  push(item: T): void {
    this.items[this.next] = item
    this.next = (this.next + 1) % this.capacity
    if (this.size < this.capacity) this.size++
  }

  /** The items kept, oldest first. */
  toArray(): T[] {
    const out: T[] = []
    const start = (this.next - this.size + this.capacity) % this.capacity
    for (let i = 0; i < this.size; i++) out.push(this.items[(start + i) % this.capacity] as T)
    return out
  }
}
