// Domain lists (the blocklist, the suppression list): what a line means, and what a listing covers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listedDomain, loadDomainLists, parseDomainList } from './domains.ts';

describe('a domain list', () => {
  it('reads one domain per line, with comments, www. and trailing text dropped', () => {
    const list = parseDomainList(
      '# opted out\nExample.org\nwww.news.test  # asked 2026-11-02\n*.wild.test, extra\n\n',
      'f',
      'S',
    );
    expect([...list].sort()).toEqual(['example.org', 'news.test', 'wild.test']);
  });

  it('names the setting, the source and the line of an entry that is not a domain', () => {
    expect(() => parseDomainList('ok.test\nhttps://x.test/path\n', 'list.txt', 'WEBTRAIL_SUPPRESSION_LIST')).toThrow(
      'WEBTRAIL_SUPPRESSION_LIST: list.txt line 2: "https://x.test/path" is not a domain name',
    );
  });

  it('covers a listed domain and its subdomains, and no domain that merely ends in the same letters', () => {
    const list = new Set(['bad.test']);
    expect(listedDomain('bad.test', list)).toBe('bad.test');
    expect(listedDomain('WWW.Shop.Bad.Test.', list)).toBe('bad.test');
    expect(listedDomain('notbad.test', list)).toBeUndefined();
    expect(listedDomain('bad.test.evil', list)).toBeUndefined();
  });

  it('loads the union of files and http URLs, and says which source failed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-list-'));
    writeFileSync(path.join(dir, 'a.txt'), 'a.test\n');
    const server = createServer((req, res) =>
      req.url === '/list' ? res.end('b.test\n') : res.writeHead(404).end('no'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect([...(await loadDomainLists([path.join(dir, 'a.txt'), `${base}/list`], 'S'))].sort()).toEqual([
        'a.test',
        'b.test',
      ]);
      await expect(loadDomainLists([`${base}/missing`], 'S')).rejects.toThrow(`S: ${base}/missing answered 404`);
      await expect(loadDomainLists([path.join(dir, 'nope.txt')], 'S')).rejects.toThrow(
        /S: cannot read .*nope\.txt: ENOENT/,
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
