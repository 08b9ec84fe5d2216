import { describe, expect, it } from 'vitest';
import type { ScreenedSite } from '../../schemas/types.ts';
import { site } from '../../test/helpers/samples.ts';
import { ScreenedSites, screenedKey, skippedResubmission } from './screenedSites.ts';

const record = (over: Partial<ScreenedSite> = {}): ScreenedSite => ({
  domain: 'shop.example.com',
  generatorVersion: 'm@screen.v1+propose.v1',
  outcome: 'tasks',
  taskCount: 3,
  screenedAtMs: 100,
  resubmissionsSkipped: 0,
  lastSkippedAtMs: null,
  ...over,
});

describe('screened sites', () => {
  it('knows a site however its domain is written, per generator version', () => {
    const table = new ScreenedSites();
    table.remember(record());
    expect(table.get('Shop.Example.COM.', 'm@screen.v1+propose.v1')).toEqual(record());
    expect(table.get('shop.example.com', 'm@screen.v2+propose.v1')).toBeUndefined();
    expect(screenedKey('Shop.Example.com.', 'v')).toBe('shop.example.com v');
  });

  it('keeps the later record when an older one arrives after it', () => {
    const table = new ScreenedSites();
    table.remember(record({ resubmissionsSkipped: 2 }));
    table.remember(record({ resubmissionsSkipped: 1 }));
    expect(table.get('shop.example.com', 'm@screen.v1+propose.v1')?.resubmissionsSkipped).toBe(2);
    table.remember(record({ screenedAtMs: 200, resubmissionsSkipped: 2 }));
    table.remember(record({ screenedAtMs: 150, resubmissionsSkipped: 5 }));
    expect(table.get('shop.example.com', 'm@screen.v1+propose.v1')).toMatchObject({
      screenedAtMs: 200,
      resubmissionsSkipped: 2,
    });
  });

  it('skips a known site unless asked again, counting the skip', () => {
    expect(skippedResubmission(site(), undefined, 5)).toBeNull();
    expect(skippedResubmission({ ...site(), again: true }, record(), 5)).toBeNull();
    expect(skippedResubmission(site(), record({ resubmissionsSkipped: 1 }), 5)).toEqual(
      record({ resubmissionsSkipped: 2, lastSkippedAtMs: 5 }),
    );
  });
});
