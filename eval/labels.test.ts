import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabels } from './labels.ts';

const file = (text: string) => {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'labels-')), 'labels.jsonl');
  writeFileSync(f, text);
  return f;
};

describe('a labels file', () => {
  it('reads true/false and 1/0, skipping blank lines', () => {
    const labels = readLabels(
      file(
        '{"trajectoryId":"a","success":true}\n\n{"trajectoryId":"b","success":0,"note":"by hand"}\n{"trajectoryId":"a","runId":"r2","success":false}\n',
      ),
    );
    expect(labels.size).toBe(3);
    expect([
      labels.of('a', 'r1'),
      labels.of('a', 'r2'),
      labels.of('a', null),
      labels.of('b', 'r9'),
      labels.of('c', null),
    ]).toEqual([true, false, true, false, undefined]);
  });

  it('names every bad line at once, and refuses an empty or missing file', () => {
    const f = file(
      '{"trajectoryId":"a","success":true}\nnot json\n{"trajectoryId":"a","success":false}\n{"trajectoryId":"c","success":"yes"}\n',
    );
    expect(() => readLabels(f)).toThrow(
      `--labels ${f}: line 2: not JSON; line 3: a is labelled twice; line 4: expected {"trajectoryId": string, "runId"?: string, "success": true|false|1|0}`,
    );
    expect(() => readLabels(file('\n'))).toThrow('no labels in it');
    expect(() => readLabels('/nonexistent/labels.jsonl')).toThrow(
      '--labels /nonexistent/labels.jsonl: cannot read it (ENOENT)',
    );
  });
});
