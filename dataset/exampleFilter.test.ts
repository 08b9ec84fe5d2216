import { describe, expect, it } from 'vitest';
import { UserInputError } from '../platform/errors.ts';
import { loadDatasetConfig } from './datasetConfig.ts';
import { compileFilter, describeFilter } from './exampleFilter.ts';

const s = (success: number, efficiency: number, selfCorrection: number) => ({ success, efficiency, selfCorrection });

describe('the sink filter', () => {
  // Expected answers worked out by hand from InSTA's rule: success > 0.5 and (efficiency > 0.5 or self-correction > 0.5).
  it.each([
    [s(1, 0.4, 0.4), false], // successful, but neither efficient nor self-correcting
    [s(0.5, 1, 1), false], // success must exceed 0.5
    [s(0.75, 0.6, 0), true],
    [s(0.51, 0, 0.51), true],
    [s(1, 0.5, 0.5), false],
  ])("defaults to InSTA's rule: %o → %s", (scores, kept) => {
    expect(compileFilter().keeps(scores)).toBe(kept);
    expect(loadDatasetConfig({}).filter.keeps(scores)).toBe(kept);
  });

  it("offers the rule of InSTA's released scripts, which keep only full successes", () => {
    const scripts = compileFilter('insta-scripts');
    expect(scripts.keeps(s(0.75, 1, 1))).toBe(false);
    expect(scripts.keeps(s(1, 0, 0.7))).toBe(true);
    expect(scripts.keeps(s(1, 0.2, 0.3))).toBe(false);
    expect(describeFilter(scripts)).toMatch(/^success == 1 .* \(preset insta-scripts\)$/);
  });

  it('takes any condition over the three scores', () => {
    const filter = loadDatasetConfig({
      WEBTRAIL_SINK_FILTER: 'success >= 0.9 or (efficiency + self_correction) / 2 > 0.8',
    }).filter;
    expect(filter.keeps(s(0.9, 0, 0))).toBe(true);
    expect(filter.keeps(s(0.2, 0.9, 0.8))).toBe(true);
    expect(filter.keeps(s(0.2, 0.9, 0.7))).toBe(false);
  });

  it('still honours the older minimums, as the expression they meant', () => {
    const filter = loadDatasetConfig({ WEBTRAIL_SINK_MIN_SUCCESS: '0.5', WEBTRAIL_SINK_MIN_EFFICIENCY: '0.3' }).filter;
    expect(filter.expression).toBe('success >= 0.5 and efficiency >= 0.3 and self_correction >= 0');
    expect(filter.keeps(s(0.5, 0.3, 0))).toBe(true);
    expect(filter.keeps(s(0.5, 0.29, 1))).toBe(false);
    expect(() => loadDatasetConfig({ WEBTRAIL_SINK_MIN_SUCCESS: '0.5', WEBTRAIL_SINK_FILTER: 'insta' })).toThrow(
      /not both/,
    );
  });

  it.each([
    ['succes > 0.5', /reads "succes", which is not a score/],
    ['success > 0.5 and efficency > 0.2', /reads "efficency"/],
    ['success', /not true or false .*write "success > 0.5"/],
    ['success >', /does not parse/],
    ['success > "high"', /fails on success=0/],
    ['', /it is empty/],
    ['constructor', /reads "constructor"/],
    ["'__proto__' > 0", /reads "__proto__"/],
  ])('refuses %j with a message that says what to write', (text, why) => {
    const error = (() => {
      try {
        loadDatasetConfig({ WEBTRAIL_SINK_FILTER: text });
        return null;
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(UserInputError);
    expect(error!.message).toMatch(why);
    expect(error!.message).toMatch(/WEBTRAIL_SINK_FILTER[\s\S]*preset: insta \(success > 0\.5/);
  });
});
