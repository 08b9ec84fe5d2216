// In-order commit bookkeeping for one partition: messages may finish in any order, but the offset
// committed is always one past the longest prefix of finished messages, so nothing is skipped.

export class PartitionOffsets {
  /** Offsets dispatched and not yet part of the committed prefix, in dispatch (= offset) order. */
  private readonly pending: bigint[] = [];
  private readonly done = new Set<bigint>();
  private highestDispatched = -1n;
  /** Next offset to commit (one past the finished prefix); null until something finished. */
  private committable: bigint | null = null;

  /** Whether this offset was already dispatched here (a refetch after a rebalance). */
  seen(offset: string): boolean {
    return BigInt(offset) <= this.highestDispatched;
  }

  dispatched(offset: string): void {
    const value = BigInt(offset);
    this.pending.push(value);
    this.highestDispatched = value;
  }

  /** Marks a message finished; returns the new offset to commit when the prefix advanced. */
  finished(offset: string): string | null {
    this.done.add(BigInt(offset));
    let advanced = false;
    while (this.pending.length > 0 && this.done.has(this.pending[0]!)) {
      const head = this.pending.shift()!;
      this.done.delete(head);
      this.committable = head + 1n;
      advanced = true;
    }
    return advanced && this.committable !== null ? this.committable.toString() : null;
  }

  get inFlight(): number {
    return this.pending.length - this.done.size;
  }

  get nextCommit(): string | null {
    return this.committable === null ? null : this.committable.toString();
  }
}
