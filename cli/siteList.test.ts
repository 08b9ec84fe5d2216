import { describe, expect, it } from 'vitest';
import { parseSiteLine, parseSiteList } from './siteList.ts';

describe('parseSiteList', () => {
  it('keeps good lines, reports bad ones with line numbers, and drops duplicates', () => {
    const text = [
      '# my sites',
      '',
      'shop.example.com',
      'https://News.Example.org/a?b=1#frag',
      'ftp://x.example',
      'two words',
      'SHOP.example.com',
      'http://shop.example.com/other',
      '10.1.2.3  # an ip',
      'blog.example.net # trailing comment',
    ].join('\n');
    const parsed = parseSiteList(text);
    expect(parsed.sites.map((s) => [s.line, s.domain, s.url])).toEqual([
      [3, 'shop.example.com', 'https://shop.example.com/'],
      [4, 'news.example.org', 'https://news.example.org/a?b=1'],
      [10, 'blog.example.net', 'https://blog.example.net/'],
    ]);
    expect(parsed.bad.map((b) => b.line)).toEqual([5, 6, 9]);
    expect(parsed.duplicates.map((d) => [d.line, d.reason])).toEqual([
      [7, 'duplicate of line 3'],
      [8, 'duplicate of line 3'],
    ]);
  });

  it('refuses credentials, other schemes, IPs and malformed hosts', () => {
    expect(parseSiteLine('https://user:secret@example.com/')).toHaveProperty('reason');
    expect(parseSiteLine('file:///etc/passwd')).toHaveProperty('reason');
    expect(parseSiteLine('javascript:alert(1)')).toHaveProperty('reason');
    expect(parseSiteLine('http://192.168.1.1/')).toHaveProperty('reason');
    expect(parseSiteLine('-bad-.example.com')).toHaveProperty('reason');
    expect(parseSiteLine('example')).toHaveProperty('reason');
    expect(parseSiteLine('http://shop.localhost:8700/')).toEqual({
      domain: 'shop.localhost',
      url: 'http://shop.localhost:8700/',
    });
  });
});
