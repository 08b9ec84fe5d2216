import { describe, expect, it } from 'vitest';
import { judgeVersionFolder, judgeVersionProblem } from './judgeVersion.ts';

describe('judge versions as names', () => {
  it('accepts model@prompt versions, org/model names included', () => {
    for (const v of ['scripted@judge.v1', 'Qwen/Qwen2.5-72B-Instruct@judge.v2', 'qwen2.5:7b@judge.v1', 'gpt-4o+fix_2'])
      expect(judgeVersionProblem(v)).toBeNull();
  });

  it('refuses empty, dots-only, overlong and odd versions with a reason', () => {
    expect(judgeVersionProblem('')).toMatch(/empty/);
    expect(judgeVersionProblem('.')).toMatch(/dots only/);
    expect(judgeVersionProblem('..')).toMatch(/dots only/);
    expect(judgeVersionProblem('x'.repeat(201))).toMatch(/at most 200/);
    for (const v of ['a b', 'a\nb', 'a\\b', 'judge%2E', 'é@v1', '\u001b[31m'])
      expect(judgeVersionProblem(v)).toMatch(/letters, digits/);
  });

  it('maps versions to folder names one-to-one, none of them . or .. or hidden', () => {
    // Hand-written expectations: kept characters stay, everything else is %XX of its UTF-8 bytes.
    expect(judgeVersionFolder('scripted@judge.v1')).toBe('scripted@judge.v1');
    expect(judgeVersionFolder('a:b')).toBe('a%3Ab');
    expect(judgeVersionFolder('a_b')).toBe('a_b');
    expect(judgeVersionFolder('Qwen/Qwen2.5@judge.v1')).toBe('Qwen%2FQwen2.5@judge.v1');
    expect(judgeVersionFolder('..')).toBe('%2E.');
    expect(judgeVersionFolder('.')).toBe('%2E');
    expect(judgeVersionFolder('.hidden')).toBe('%2Ehidden');
    expect(judgeVersionFolder('%3A')).toBe('%253A');
    expect(judgeVersionFolder('é')).toBe('%C3%A9');
    const versions = ['a:b', 'a_b', 'a/b', 'a%3Ab', 'a b', '.a', '%2Ea', '..', '.', 'a..b', 'A:B'];
    const folders = versions.map(judgeVersionFolder);
    expect(new Set(folders).size).toBe(versions.length);
    for (const f of folders) expect(f).toMatch(/^[A-Za-z0-9_@+%-][A-Za-z0-9_.@+%-]*$/);
  });
});
