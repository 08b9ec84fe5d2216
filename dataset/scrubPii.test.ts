import { describe, expect, it } from 'vitest';
import { scrubPii } from './scrubPii.ts';

describe('PII scrubbing', () => {
  it('replaces emails, phone numbers and secrets in URLs, and leaves the rest of the page alone', () => {
    const page = [
      '[4] link "Contact jane.doe+shop@mail.example.co.uk"',
      'Call (415) 555-2671 or +44 20 7946 0958',
      '[7] link "Reset" -> https://shop.localhost/reset?user=42&token=abc123DEF&lang=en',
      'https://admin:hunter2@intranet.localhost/x?X-Amz-Signature=deadbeef&page=2',
      'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      '[9] button "Add to cart" 3 items $1,299.00 on 2024-03-15, page 2 of 10',
    ].join('\n');
    expect(scrubPii(page)).toBe(
      [
        '[4] link "Contact <EMAIL>"',
        'Call <PHONE> or <PHONE>',
        '[7] link "Reset" -> https://shop.localhost/reset?user=42&token=<SECRET>&lang=en',
        'https://<SECRET>@intranet.localhost/x?X-Amz-Signature=<SECRET>&page=2',
        'Bearer <SECRET>',
        '[9] button "Add to cart" 3 items $1,299.00 on 2024-03-15, page 2 of 10',
      ].join('\n'),
    );
  });

  it('keeps an agent reply valid JSON', () => {
    const reply = '{"thought":"type the email","action":{"kind":"type","elementId":3,"text":"bob@example.org"}}';
    expect(JSON.parse(scrubPii(reply))).toEqual({
      thought: 'type the email',
      action: { kind: 'type', elementId: 3, text: '<EMAIL>' },
    });
  });

  it('reads national numbers as the country given', () => {
    expect(scrubPii('Ruf an: 030 12345678', 'DE')).toBe('Ruf an: <PHONE>');
    expect(scrubPii('Ruf an: 030 12345678', 'US')).toBe('Ruf an: 030 12345678');
  });
});
