import { describe, expect, it } from 'vitest';
import { printable } from './printable.ts';

describe('printable', () => {
  it('escapes what a terminal would obey and keeps one line', () => {
    expect(printable('a\u001b[2Jb\nc\u0007\u009b')).toBe('a\\u001b[2Jb\\nc\\u0007\\u009b');
    expect(printable('plain café ✓')).toBe('plain café ✓');
  });

  it('cuts long text and says how much is left out', () => {
    expect(printable('x'.repeat(10_000_000), 5)).toBe('xxxxx… (9999995 more characters)');
  });
});
