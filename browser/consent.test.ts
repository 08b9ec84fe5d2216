// How a page's consent popup went, folded from the library's own messages (their shapes: the package's
// lib/messages.ts), in the orders autoconsent sends them.
import { describe, expect, it } from 'vitest';
import { type ConsentMessage, consentProgress, initReplySource, NO_CONSENT } from './consent.ts';

const report = (lifecycle: string) => ({ type: 'report', state: { lifecycle } }) as unknown as ConsentMessage;
const msg = (m: Record<string, unknown>) => m as unknown as ConsentMessage;

describe('a consent popup', () => {
  it('is none, and finished, when no consent manager is on the page', () => {
    const outcome = consentProgress(NO_CONSENT, [report('loading'), msg({ type: 'init' }), report('nothingDetected')]);
    expect(outcome).toEqual({ cmp: null, popup: false, optedOut: null, finished: true });
  });

  it('is opted out of when the rule clicked through and the library said done', () => {
    const found = consentProgress(NO_CONSENT, [
      msg({ type: 'cmpDetected', cmp: 'Complianz banner' }),
      msg({ type: 'popupFound', cmp: 'Complianz banner' }),
      report('runningOptOut'),
    ]);
    expect(found).toEqual({ cmp: 'Complianz banner', popup: true, optedOut: null, finished: false });
    const done = consentProgress(found, [
      msg({ type: 'optOutResult', cmp: 'Complianz banner', result: true, scheduleSelfTest: true }),
      msg({ type: 'autoconsentDone', cmp: 'Complianz banner' }),
      report('done'),
    ]);
    expect(done).toEqual({ cmp: 'Complianz banner', popup: true, optedOut: true, finished: true });
  });

  it('stays when the opt-out failed', () => {
    const outcome = consentProgress(NO_CONSENT, [
      msg({ type: 'popupFound', cmp: 'onetrust' }),
      msg({ type: 'optOutResult', cmp: 'onetrust', result: false, scheduleSelfTest: false }),
    ]);
    expect(outcome).toEqual({ cmp: 'onetrust', popup: true, optedOut: false, finished: true });
  });

  it('is a consent manager without an open popup while only detected (consent given before)', () => {
    const outcome = consentProgress(NO_CONSENT, [
      msg({ type: 'cmpDetected', cmp: 'Cookiebot' }),
      report('cmpDetected'),
    ]);
    expect(outcome).toEqual({ cmp: 'Cookiebot', popup: false, optedOut: null, finished: false });
  });

  it("answers the library's first message with opt-out and only the rules that can apply here", () => {
    const reply = initReplySource('https://www.example.com/news');
    expect(reply).toContain(`"autoAction":"optOut"`);
    expect(reply).toContain(`"enablePrehide":false`);
    const rules = JSON.parse(/rules: \{ compact: (.*) \} \}\)$/.exec(reply)![1]!) as { r: unknown[] };
    // About 800 rules in all; site-specific ones for other sites are left out.
    expect(rules.r.length).toBeGreaterThan(50);
    expect(rules.r.length).toBeLessThan(700);
  });
});
