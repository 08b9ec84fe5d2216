// What makes a page not executable, read from its signals: hand-written cases of what the real web serves.
import { describe, expect, it } from 'vitest';
import { obstacleOfLoadError, obstacleOfPage, type PageSignals } from './obstacles.ts';

const page = (over: Partial<PageSignals>): PageSignals => ({
  url: 'https://shop.example/',
  title: 'Shop',
  status: 200,
  retryAfter: null,
  captchaWidgets: [],
  resourceHosts: ['shop.example'],
  passwordFields: 0,
  links: 40,
  otherFields: 2,
  text: 'Welcome to the shop. Search products.',
  overlayText: null,
  consent: null,
  ...over,
});

describe('a page that cannot be done', () => {
  it('is none for an ordinary page, even one with a sign-in link and a search form', () => {
    expect(obstacleOfPage(page({ text: 'Sign in · Basket · Search' }))).toBeNull();
    // A shop page with a login box in its header among many links and fields is still a shop page.
    expect(obstacleOfPage(page({ passwordFields: 1, links: 80, otherFields: 6, text: 'Log in or browse' }))).toBeNull();
  });

  it('is a CAPTCHA when a widget or a challenge provider is on it', () => {
    expect(
      obstacleOfPage(page({ captchaWidgets: ['.g-recaptcha', '[data-sitekey]'], resourceHosts: ['www.google.com'] }))
        ?.reason,
    ).toBe('captcha');
    expect(obstacleOfPage(page({ resourceHosts: ['newassets.hcaptcha.com'] }))?.reason).toBe('captcha');
    expect(obstacleOfPage(page({ resourceHosts: ['challenges.cloudflare.com'] }))?.reason).toBe('captcha');
    expect(obstacleOfPage(page({ resourceHosts: ['geo.captcha-delivery.com'] }))?.reason).toBe('captcha');
    // Google's own host alone (fonts, analytics) is no CAPTCHA.
    expect(obstacleOfPage(page({ resourceHosts: ['www.google.com', 'fonts.googleapis.com'] }))).toBeNull();
  });

  it('is a consent wall when a layer with consent words covers the page, or the opt-out failed', () => {
    const wall =
      'Read Kitchen Notes with ads, or subscribe We and our 842 partners store and access information on your device, such as cookies';
    expect(obstacleOfPage(page({ overlayText: wall }))?.reason).toBe('consent');
    expect(obstacleOfPage(page({ overlayText: 'Wir und unsere Partner benötigen Ihre Einwilligung' }))?.reason).toBe(
      'consent',
    );
    const failed = { cmp: 'onetrust', popup: true, optedOut: false, finished: true };
    expect(obstacleOfPage(page({ consent: failed }))).toEqual({
      reason: 'consent',
      detail: 'the onetrust popup stayed: opting out failed',
    });
    // A popup opted out of, a newsletter modal, a site without consent manager: none is a wall.
    expect(obstacleOfPage(page({ consent: { ...failed, optedOut: true } }))).toBeNull();
    expect(obstacleOfPage(page({ overlayText: 'Subscribe to our newsletter for weekly deals' }))).toBeNull();
    expect(obstacleOfPage(page({ consent: { cmp: null, popup: false, optedOut: null, finished: true } }))).toBeNull();
  });

  it('is a bot wall for the protection services’ interstitials', () => {
    expect(obstacleOfPage(page({ title: 'Just a moment...', status: 403 }))?.reason).toBe('bot_wall');
    expect(obstacleOfPage(page({ title: 'Attention Required! | Cloudflare', status: 403 }))?.reason).toBe('bot_wall');
    expect(
      obstacleOfPage(page({ title: 'shop.example', text: 'Press & Hold to confirm you are a human (and not a bot).' }))
        ?.reason,
    ).toBe('bot_wall');
  });

  it('is rate limiting for a 429, or a 503 that says when to come back; a bare 5xx is a site down', () => {
    expect(obstacleOfPage(page({ status: 429 }))).toEqual({ reason: 'rate_limited', detail: 'the site answered 429' });
    expect(obstacleOfPage(page({ status: 503, retryAfter: '120' }))).toEqual({
      reason: 'rate_limited',
      detail: 'the site answered 503 (Retry-After: 120)',
    });
    expect(obstacleOfPage(page({ status: 502 }))).toEqual({ reason: 'down', detail: 'the site answered 502' });
    expect(obstacleOfPage(page({ status: 404 }))).toBeNull();
  });

  it('is a login wall for a sign-in form on a login address, or one that is all the page has', () => {
    expect(
      obstacleOfPage(page({ url: 'https://shop.example/login?next=%2Forders', passwordFields: 1, otherFields: 1 }))
        ?.reason,
    ).toBe('login');
    expect(
      obstacleOfPage(
        page({ url: 'https://shop.example/orders', passwordFields: 1, otherFields: 1, links: 4, title: 'Sign in' }),
      )?.reason,
    ).toBe('login');
  });

  it('reads a page that did not load: robots.txt, rate limiting and network failures, nothing else', () => {
    expect(obstacleOfLoadError('blocked: robots.txt of a.example disallows /x for webtrail')?.reason).toBe('robots');
    expect(
      obstacleOfLoadError('blocked: rate_limited: a.example asked to be left alone for 60 s more (Retry-After)')
        ?.reason,
    ).toBe('rate_limited');
    expect(obstacleOfLoadError('page.goto: net::ERR_NAME_NOT_RESOLVED at https://gone.example/')).toEqual({
      reason: 'down',
      detail: 'the start page did not load (ERR_NAME_NOT_RESOLVED)',
    });
    expect(obstacleOfLoadError('page.goto: net::ERR_CERT_DATE_INVALID at https://old.example/')?.reason).toBe('down');
    // The guard's own refusal is not the site's doing, nor is a timeout of ours.
    expect(obstacleOfLoadError('blocked: address 10.0.0.1 is private')).toBeNull();
    expect(obstacleOfLoadError('page.goto: Timeout 20000ms exceeded.')).toBeNull();
    expect(obstacleOfLoadError(null)).toBeNull();
  });
});
