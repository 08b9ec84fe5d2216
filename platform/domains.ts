// What counts as a site's domain name, wherever a user gives one (a site list, a labelled domain list).
import { readFileSync } from 'node:fs';
import { DependencyError, errorMessage, UserInputError } from './errors.ts';
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A lowercase host name of dot-separated labels, not an all-numeric top level (an IP), or localhost. */
export function isDomainName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  if (labels.length < 2 && host !== 'localhost') return false;
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}

/** Whether the domain or one of its parent domains is on the list (a leading www. is ignored). */
export function listedDomain(domain: string, list: ReadonlySet<string>): string | undefined {
  if (list.size === 0) return undefined;
  const labels = domain
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '')
    .split('.');
  for (let i = 0; i < labels.length; i += 1) {
    const parent = labels.slice(i).join('.');
    if (list.has(parent)) return parent;
  }
  return undefined;
}

/**
 * A list of domains, one per line ('#' starts a comment; anything after the first space or comma on a line
 * is ignored). A line that is not a domain name is an error naming the source, its line and the setting.
 */
export function parseDomainList(text: string, source: string, setting: string): Set<string> {
  const domains = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const entry = line.replace(/#.*/, '').trim().toLowerCase().split(/[\s,]/)[0];
    if (!entry) return;
    const domain = entry
      .replace(/\.$/, '')
      .replace(/^\*\./, '')
      .replace(/^www\./, '');
    if (!isDomainName(domain))
      throw new UserInputError(
        `${setting}: ${source} line ${index + 1}: "${entry.slice(0, 80)}" is not a domain name (one per line, e.g. example.org; its subdomains are included)`,
      );
    domains.add(domain);
  });
  return domains;
}

/** Reads a domain list from a file, synchronously (settings loaded at start). */
export function readDomainListFile(file: string, setting: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserInputError(
      `${setting}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseDomainList(text, file, setting);
}

/** Reads domain lists from files and http(s) URLs (the union of them all). */
export async function loadDomainLists(sources: readonly string[], setting: string): Promise<Set<string>> {
  const all = new Set<string>();
  for (const source of sources) {
    let domains: Set<string>;
    if (/^https?:\/\//i.test(source)) {
      let response: Response;
      try {
        response = await fetch(source, { signal: AbortSignal.timeout(30_000) });
      } catch (error) {
        throw new DependencyError(`${setting}: cannot fetch ${source}: ${errorMessage(error)}`, { retriable: true });
      }
      if (!response.ok)
        throw new DependencyError(`${setting}: ${source} answered ${response.status}`, {
          retriable: response.status >= 500,
        });
      domains = parseDomainList(await response.text(), source, setting);
    } else domains = readDomainListFile(source, setting);
    for (const d of domains) all.add(d);
  }
  return all;
}

/**
 * A domain list that reads its sources again after refreshMs (an opt-out honoured during a days-long run
 * without a restart); a failed re-read keeps the list it had.
 */
export class RefreshingDomainList {
  private current: Promise<Set<string>> | undefined;
  private loadedAt = 0;

  constructor(
    readonly sources: readonly string[],
    private readonly setting: string,
    private readonly refreshMs = 10 * 60_000,
    private readonly onRefreshFailed: (error: unknown) => void = () => undefined,
  ) {}

  async domains(): Promise<Set<string>> {
    if (this.sources.length === 0) return new Set();
    if (!this.current) {
      this.loadedAt = Date.now();
      this.current = loadDomainLists(this.sources, this.setting);
      this.current.catch(() => (this.current = undefined));
    } else if (Date.now() - this.loadedAt > this.refreshMs) {
      this.loadedAt = Date.now();
      const previous = this.current;
      const next = loadDomainLists(this.sources, this.setting);
      this.current = next.catch(async (error: unknown) => {
        this.onRefreshFailed(error);
        return previous;
      });
    }
    return this.current;
  }
}
