// Decides which URLs the browser may load: http(s) only, and never private, loopback, link-local or
// otherwise internal addresses — unless the host is explicitly allowed (the sandbox web, a local file's
// server). Hosts are resolved and every address they resolve to is checked.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96], ['2001:db8::', 32]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return INTERNAL.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
    return INTERNAL.check(address, 'ipv6');
  }
  return true;
}

export interface GuardPolicy {
  /** Hosts (or *.suffix patterns, optionally with :port) allowed even if internal. */
  allowHosts: string[];
  /** Allow internal addresses everywhere (never in production). */
  allowPrivateNetwork: boolean;
}

export type GuardVerdict = { allowed: true } | { allowed: false; reason: string };

function hostMatches(pattern: string, host: string, port: string): boolean {
  const [patternHost, patternPort] = pattern.toLowerCase().split(/:(?=\d+$)/) as [string, string | undefined];
  if (patternPort && patternPort !== port) return false;
  if (patternHost.startsWith('*.')) return host === patternHost.slice(2) || host.endsWith(patternHost.slice(1));
  return host === patternHost;
}

export class UrlGuard {
  private readonly cache = new Map<string, GuardVerdict>();

  constructor(private readonly policy: GuardPolicy, private readonly resolve: (host: string) => Promise<string[]> = defaultResolve) {}

  allowsHost(url: URL): boolean {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.policy.allowHosts.some((p) => hostMatches(p, host, port));
  }

  async check(rawUrl: string): Promise<GuardVerdict> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return { allowed: false, reason: `not a valid URL: ${rawUrl.slice(0, 100)}` };
    }
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.href === 'about:blank') return { allowed: true };
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { allowed: false, reason: `scheme ${url.protocol} is not allowed (http and https only)` };
    if (this.allowsHost(url)) return { allowed: true };
    if (this.policy.allowPrivateNetwork) return { allowed: true };
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const cached = this.cache.get(host);
    if (cached) return cached;
    let verdict: GuardVerdict;
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) {
      verdict = { allowed: false, reason: `host ${host} is a local name` };
    } else if (isIP(host)) {
      verdict = isInternalAddress(host) ? { allowed: false, reason: `address ${host} is private, loopback or link-local` } : { allowed: true };
    } else {
      try {
        const addresses = await this.resolve(host);
        const internal = addresses.find(isInternalAddress);
        verdict = internal ? { allowed: false, reason: `host ${host} resolves to internal address ${internal}` } : { allowed: true };
      } catch {
        // Unresolvable: let the browser fail with its own network error.
        verdict = { allowed: true };
      }
    }
    this.cache.set(host, verdict);
    return verdict;
  }
}

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true })).map((a) => a.address);
}
