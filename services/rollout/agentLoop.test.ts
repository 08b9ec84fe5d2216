import { describe, expect, it } from 'vitest';
import type { Step } from '../../schemas/types.ts';
import { trajectory } from '../../test/helpers/samples.ts';
import { actionsTaken } from './agentLoop.ts';

const step = (kind: NonNullable<Step['action']>['kind'], ok: boolean): Step => ({
  ...trajectory().steps[0]!, action: { kind, elementId: null, value: null, submit: false },
  result: { ok, error: ok ? null : 'no such element', navigated: false, newTab: false, url: 'https://shop.example.com/' },
});

describe('the actions an agent is told it has taken', () => {
  it('counts what acted on the page: not waits for a slow page, not failures, not the answer', () => {
    // click ✓, wait ✓, type ✓, click ✗, scroll ✓, wait ✓, answer: 3 by hand.
    expect(actionsTaken([step('click', true), step('wait', true), step('type', true), step('click', false), step('scroll', true), step('wait', true), step('answer', true)])).toBe(3);
  });
});
