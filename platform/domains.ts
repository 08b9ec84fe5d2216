// What counts as a site's domain name, wherever a user gives one (a site list, a labelled domain list).
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A lowercase host name of dot-separated labels, not an all-numeric top level (an IP), or localhost. */
export function isDomainName(host: string): boolean {
  if (host.length > 253) return false;
  const labels = host.split('.');
  if (labels.length < 2 && host !== 'localhost') return false;
  return labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]!);
}
