// Which destinations the browser may reach: http(s) and ws(s) only, and never an address that is not
// public unicast (private, loopback, link-local, CGNAT, multicast, unspecified, documentation, and the
// IPv6 forms that embed one of those) — unless its host is explicitly allowed (the sandbox web, a saved
// page's server) or private networks are allowed. Addresses in the deny list are refused even then.
// Pure functions of names and addresses: the egress proxy applies them, tests call them directly.
import ipaddr from 'ipaddr.js';

export interface EgressPolicy {
  /** Hosts (or *.suffix patterns, optionally with :port) allowed even though their address is not public. */
  allowHosts: string[];
  /** Allow non-public addresses everywhere (an intranet crawl; never for the open web). */
  allowPrivateNetwork: boolean;
  /** Addresses or CIDR ranges refused whatever else allows them. */
  denyAddresses: string[];
  /** Refuse every host not in allowHosts (a saved page must not reach out). */
  onlyAllowedHosts?: boolean;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** The canonical spelling of a host as a browser would send it: lower case, IPv4 in dotted decimal. */
export function canonicalHost(host: string): string | null {
  try {
    const bare = host.replace(/^\[|\]$/g, '');
    const hostname = new URL(`http://${ipaddr.IPv6.isValid(bare) ? `[${bare}]` : bare}/`).hostname;
    return hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/** Why an address is not public unicast, or null when it is. Unparseable input is never public. */
export function nonPublicReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address); // reads decimal, octal, hex and short IPv4 spellings too
  } catch {
    return `${address} is not an IP address`;
  }
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // Forms that carry an IPv4 address inside: judge the IPv4 address they reach.
    if (v6.isIPv4MappedAddress()) return nonPublicReason(v6.toIPv4Address().toString());
    const range = v6.range();
    if (range === 'rfc6052' || range === '6to4') {
      const bytes = v6.toByteArray();
      const embedded = range === '6to4' ? bytes.slice(2, 6) : bytes.slice(12, 16);
      const inner = nonPublicReason(embedded.join('.'));
      return inner ? `${address} embeds ${embedded.join('.')}: ${inner}` : null;
    }
    // IPv4-compatible (::a.b.c.d, deprecated) reads as the IPv4 address on some stacks.
    const words = v6.parts;
    if (words.slice(0, 6).every((w) => w === 0) && (words[6]! !== 0 || words[7]! > 1))
      return `${address} is an IPv4-compatible IPv6 address`;
    return range === 'unicast' ? null : `${address} is ${describe(range)}`;
  }
  // ipaddr.js calls the documentation and protocol-assignment ranges `reserved`: not public either.
  const range = (parsed as ipaddr.IPv4).range();
  if (range === 'unicast') return null;
  return `${address} is ${describe(range)}`;
}

function describe(range: string): string {
  const names: Record<string, string> = {
    private: 'private',
    loopback: 'loopback',
    linkLocal: 'link-local',
    multicast: 'multicast',
    unspecified: 'unspecified',
    carrierGradeNat: 'carrier-grade NAT (shared)',
    broadcast: 'broadcast',
    reserved: 'reserved',
    benchmarking: 'benchmarking',
    uniqueLocal: 'unique-local (private)',
    teredo: 'a Teredo tunnel',
    amt: 'an AMT relay',
    as112: 'AS112',
    as112v6: 'AS112',
    orchid2: 'ORCHIDv2',
    droneRemoteIdProtocolEntityTags: 'reserved',
    deprecated: 'deprecated',
    discard: 'discard-only',
  };
  return names[range] ?? `not public (${range})`;
}

// Deny-list entries parsed once (a policy is checked for every request), a single address as a /32 or /128.
const parsedEntries = new Map<string, [ipaddr.IPv4 | ipaddr.IPv6, number] | null>();
function parsedEntry(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  if (!parsedEntries.has(entry)) {
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number] | null;
    try {
      if (entry.includes('/')) parsed = ipaddr.parseCIDR(entry);
      else {
        const address = ipaddr.process(entry);
        parsed = [address, address.kind() === 'ipv4' ? 32 : 128];
      }
    } catch {
      parsed = null;
    }
    parsedEntries.set(entry, parsed);
  }
  return parsedEntries.get(entry)!;
}

function matchesCidr(address: string, entry: string): boolean {
  const range = parsedEntry(entry);
  if (!range) return false;
  try {
    const parsed = ipaddr.process(address);
    return parsed.kind() === range[0].kind() && parsed.match(range);
  } catch {
    return false;
  }
}

/** Validates deny-list entries, so a typo fails at start-up instead of denying nothing. */
export function invalidDenyEntries(entries: string[]): string[] {
  return entries.filter((e) => parsedEntry(e) === null);
}

function hostMatches(pattern: string, host: string, port: string): boolean {
  const [patternHost, patternPort] = pattern.toLowerCase().split(/:(?=\d+$)/) as [string, string | undefined];
  if (patternPort && patternPort !== port) return false;
  if (patternHost.startsWith('*.')) return host === patternHost.slice(2) || host.endsWith(patternHost.slice(1));
  return host === patternHost.replace(/^\[|\]$/g, '');
}

export function hostAllowed(policy: EgressPolicy, host: string, port: string): boolean {
  return policy.allowHosts.some((p) => hostMatches(p, host, port));
}

/** Whether a scheme may be used at all (checked before any name is resolved). */
export function schemeDecision(protocol: string): Decision {
  return SCHEMES.has(protocol)
    ? { allowed: true }
    : { allowed: false, reason: `scheme ${protocol} is not allowed (http and https only)` };
}

/** The decision for one connection: a host and port, and the addresses the name resolved to. */
export function addressDecision(policy: EgressPolicy, host: string, port: string, addresses: string[]): Decision {
  if (addresses.length === 0) return { allowed: false, reason: `host ${host} does not resolve` };
  const denied = addresses.find((a) => policy.denyAddresses.some((d) => matchesCidr(a, d)));
  if (denied) return { allowed: false, reason: `address ${denied} is in the deny list` };
  if (hostAllowed(policy, host, port)) return { allowed: true };
  if (policy.onlyAllowedHosts) return { allowed: false, reason: 'outside requests are blocked for this page' };
  if (policy.allowPrivateNetwork) return { allowed: true };
  for (const address of addresses) {
    const reason = nonPublicReason(address);
    if (reason)
      return { allowed: false, reason: address === host ? `address ${reason}` : `host ${host} resolves to ${reason}` };
  }
  return { allowed: true };
}

/** RFC 6761: localhost and *.localhost are loopback, whatever a resolver says. */
export function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}
