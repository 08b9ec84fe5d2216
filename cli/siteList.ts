// Parses a site list: one domain or http(s) URL per line, '#' comments and blank lines allowed.
// Bad lines come back with their line numbers; a domain listed twice is kept once.
import { isDomainName } from '../platform/index.ts';

export interface SiteEntry {
  domain: string;
  url: string;
  line: number;
}

export interface SiteListProblem {
  line: number;
  text: string;
  reason: string;
}

export interface ParsedSiteList {
  sites: SiteEntry[];
  bad: SiteListProblem[];
  duplicates: SiteListProblem[];
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}

export function parseSiteLine(raw: string): { domain: string; url: string } | { reason: string } {
  const text = raw.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(text);
  if (hasScheme && !/^https?:\/\//i.test(text)) return { reason: 'only http(s) URLs or bare domains are accepted' };
  if (/\s/.test(text)) return { reason: 'contains spaces: one domain or URL per line' };
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    return { reason: 'not a valid domain or URL' };
  }
  if (url.username || url.password)
    return { reason: 'URLs with credentials are refused (they would be stored and logged)' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (isIp(host)) return { reason: 'an IP address is not a site: give its domain' };
  if (!isDomainName(host))
    return { reason: `'${host.length > 60 ? `${host.slice(0, 60)}…` : host}' is not a valid domain name` };
  url.hash = '';
  return { domain: host, url: hasScheme ? url.toString() : `https://${host}${url.pathname}${url.search}` };
}

export function parseSiteList(text: string): ParsedSiteList {
  const sites: SiteEntry[] = [];
  const bad: SiteListProblem[] = [];
  const duplicates: SiteListProblem[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.replace(/\s+#.*$/, '').trim();
    if (content === '' || content.startsWith('#')) return;
    const parsed = parseSiteLine(content);
    if ('reason' in parsed) {
      bad.push({ line, text: content, reason: parsed.reason });
      return;
    }
    const first = seen.get(parsed.domain);
    if (first !== undefined) {
      duplicates.push({ line, text: content, reason: `duplicate of line ${first}` });
      return;
    }
    seen.set(parsed.domain, line);
    sites.push({ ...parsed, line });
  });
  return { sites, bad, duplicates };
}
