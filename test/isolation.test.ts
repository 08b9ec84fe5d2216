// The test run's network: under `npm test` every test runs in a namespace whose only interface is
// loopback, so nothing a test starts (Chromium on a hostile page above all) can reach another address.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const isolated = process.env.WEBTRAIL_NETNS === 'loopback-only';

describe('test network isolation', () => {
  it.runIf(isolated || process.env.CI === 'true')('has only the loopback interface, up, and no route off it', () => {
    expect(isolated, 'CI must run the tests through npm test, inside a loopback-only namespace').toBe(true);
    const interfaces = readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .slice(2)
      .map((l) => l.split(':')[0]!.trim())
      .filter(Boolean);
    expect(interfaces).toEqual(['lo']);
    // /proc/net/route lists IPv4 routes over real interfaces; loopback's live in the local table only.
    const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1);
    expect(routes).toEqual([]);
    // (/sys/class/net shows the namespace sysfs was mounted in, not ours: ask the kernel through ip.)
    const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' }).trim().split('\n');
    expect(links).toHaveLength(1);
    expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
  });
});
