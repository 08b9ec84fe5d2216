import { describe, expect, it } from 'vitest';
import { PartitionOffsets } from './offsetTracker.ts';

describe('PartitionOffsets', () => {
  it('commits only past the finished prefix, whatever order messages finish in', () => {
    const offsets = new PartitionOffsets();
    for (const o of ['10', '11', '12', '13']) offsets.dispatched(o);
    expect(offsets.finished('12')).toBeNull();
    expect(offsets.finished('11')).toBeNull();
    expect(offsets.inFlight).toBe(2);
    expect(offsets.finished('10')).toBe('13');
    expect(offsets.finished('13')).toBe('14');
    expect(offsets.inFlight).toBe(0);
    expect(offsets.nextCommit).toBe('14');
  });

  it('recognises a refetched offset that was already dispatched', () => {
    const offsets = new PartitionOffsets();
    offsets.dispatched('5');
    expect(offsets.seen('4')).toBe(true);
    expect(offsets.seen('5')).toBe(true);
    expect(offsets.seen('6')).toBe(false);
  });
});
