import { describe, expect, it } from 'vitest';
import { trajectory, verdict } from '../test/helpers/samples.ts';
import { trajectoryHtml } from './trajectoryPage.ts';

describe('the trajectory page', () => {
  it('escapes everything a page or a model wrote, allows no script or request, and shows a missing screenshot as such', () => {
    const t = trajectory('t1');
    const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const steps = [
      { ...t.steps[0]!, observation: hostile, title: hostile, screenshotRef: 's3://webtrail/blobs/screenshots/00/gone.jpg', llmOutput: JSON.stringify({ thought: hostile, action: { kind: 'click', elementId: 1 } }) },
      { ...t.steps[0]!, index: 1, screenshotRef: 's3://webtrail/blobs/screenshots/11/here.jpg' },
    ];
    const html = trajectoryHtml({ ...t, steps, finalAnswer: hostile }, [{ ...verdict('t1'), reasoning: hostile }], new Map([
      ['s3://webtrail/blobs/screenshots/00/gone.jpg', { dataUri: null, problem: 'reading s3://…/gone.jpg: no such blob' }],
      ['s3://webtrail/blobs/screenshots/11/here.jpg', { dataUri: 'data:image/jpeg;base64,/9j/' }],
    ]));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    // The observation, the title, the thought, the raw reply, the final answer and the verdict's reasoning.
    expect(html.split('&lt;script&gt;alert(1)&lt;/script&gt;').length - 1).toBe(6);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`);
    expect(html).toContain('<div class="missing">screenshot unavailable: reading s3://…/gone.jpg: no such blob</div>');
    expect(html).toContain('<img alt="screenshot of step 2" src="data:image/jpeg;base64,/9j/">');
    expect(html.match(/<section class="step"/g)).toHaveLength(2);
  });
});
