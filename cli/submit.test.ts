// submit and the operator's suppression list: an opted-out site never reaches webtrail.sites.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { submitSites } from './submit.ts';

const saved = process.env.WEBTRAIL_SUPPRESSION_LIST;
afterEach(() => {
  if (saved === undefined) delete process.env.WEBTRAIL_SUPPRESSION_LIST;
  else process.env.WEBTRAIL_SUPPRESSION_LIST = saved;
});

describe('submit', () => {
  it('skips every site on the suppression list, subdomains included, with its line and why', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-submit-'));
    writeFileSync(path.join(dir, 'optout.txt'), 'optout.example\n');
    process.env.WEBTRAIL_SUPPRESSION_LIST = path.join(dir, 'optout.txt');
    // Every valid line is suppressed, so nothing is sent and no broker is needed to show it.
    const summary = await submitSites('optout.example\nhttps://www.shop.optout.example/page\nnot a site\n', {
      source: 'test',
    });
    expect(summary.submitted).toBe(0);
    expect(summary.sites).toEqual([]);
    expect(summary.suppressed.map((p) => [p.line, p.reason])).toEqual([
      [1, 'optout.example is on the suppression list (WEBTRAIL_SUPPRESSION_LIST)'],
      [2, 'optout.example is on the suppression list (WEBTRAIL_SUPPRESSION_LIST)'],
    ]);
    expect(summary.bad.map((p) => p.line)).toEqual([3]);
  });

  it('stops with the reason when the suppression list cannot be read, submitting nothing', async () => {
    process.env.WEBTRAIL_SUPPRESSION_LIST = '/nonexistent/optout.txt';
    await expect(submitSites('fine.example\n', { source: 'test' })).rejects.toThrow(
      'WEBTRAIL_SUPPRESSION_LIST: cannot read /nonexistent/optout.txt: ENOENT',
    );
  });
});
