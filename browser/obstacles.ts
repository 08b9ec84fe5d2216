// Sites that cannot be done, told apart from agents that failed: a CAPTCHA or bot challenge, a login wall,
// a consent wall that stays (consent.ts opts out of the ones it knows first), rate limiting, a site that is down, a page robots.txt closes. A pure reading of what the page showed (its
// status, title, address and a few DOM markers, gathered by the session) and of why a page did not load.
// Online-Mind2Web labels such tasks "not executable"; they are kept out of success rates and training data.

import type { ConsentOutcome } from './consent.ts';

export type ObstacleReason = 'captcha' | 'bot_wall' | 'login' | 'consent' | 'rate_limited' | 'down' | 'robots';

export interface Obstacle {
  reason: ObstacleReason;
  detail: string;
}

/** What the session gathers of the page in a tab (browserSession.ts, in its isolated world). */
export interface PageSignals {
  url: string;
  title: string;
  /** The HTTP status of the tab's last page load, and its Retry-After header (null when none). */
  status: number | null;
  retryAfter: string | null;
  /** Markers of the common CAPTCHA widgets on the page (their class names and data attributes). */
  captchaWidgets: string[];
  /** The hosts of the page's frames and scripts (a challenge provider's host among them). */
  resourceHosts: string[];
  /** Visible password fields, and the page's links and other form fields besides them. */
  passwordFields: number;
  links: number;
  otherFields: number;
  /** The page's visible text, the first few hundred characters. */
  text: string;
  /**
   * The text of what covers the page, when a fixed or modal layer lies over most of the viewport (a
   * dialog and its backdrop, a full-page wall); null when the page itself is on top.
   */
  overlayText: string | null;
  /** What the consent library found and did on the page (null: not run). */
  consent: ConsentOutcome | null;
}

/** The CAPTCHA widgets' own markup: Google reCAPTCHA, hCaptcha, Cloudflare Turnstile, Arkose, GeeTest. */
export const CAPTCHA_SELECTORS = [
  '.g-recaptcha',
  '.h-captcha',
  '.cf-turnstile',
  '#FunCaptcha',
  '.geetest_holder',
  '#px-captcha',
  '[data-sitekey]',
];

/** Hosts that serve challenges, not sites: a page that frames or loads one is being challenged. */
const CHALLENGE_HOSTS =
  /(^|\.)(challenges\.cloudflare\.com|hcaptcha\.com|recaptcha\.net|arkoselabs\.com|funcaptcha\.com|captcha-delivery\.com|geo\.captcha-delivery\.com|px-cloud\.net|perimeterx\.net)$/i;
const RECAPTCHA_PATH = /(^|\.)google\.com$/i;

/** Interstitials of the bot-protection services (Cloudflare, Akamai, DataDome, PerimeterX, Imperva, Sucuri). */
const BOT_WALL_TITLES = [
  /^just a moment\.\.\.$/i,
  /^attention required! \| cloudflare$/i,
  /^access denied$/i,
  /^pardon our interruption$/i,
  /^please verify you are a human$/i,
  /^are you a robot\??$/i,
  /^you have been blocked$/i,
  /^sucuri website firewall/i,
];
const BOT_WALL_TEXT =
  /(checking (if the site connection is secure|your browser before accessing)|verify(ing)? you are (a )?human|press (&|and) hold|enable javascript and cookies to continue|request unsuccessful\. incapsula|why have i been blocked\?)/i;
/** What a consent manager's wall says (in the languages of the consent laws' largest markets). */
const CONSENT_TEXT =
  /\b(cookies?|consent|gdpr|privacy|tracking|personal data|our partners|vendors|datenschutz|einwilligung|zustimm\w*|consentement|consenso)\b/i;
const LOGIN_PATH = /\/(log-?in|sign-?in|signin|account\/login|auth|sso)(\/|$|\?)/i;
const LOGIN_TEXT = /\b(log ?in|sign ?in)\b/i;

/** Why a page that did not load cannot be done, from the error its load gave; null for any other failure. */
export function obstacleOfLoadError(error: string | null): Obstacle | null {
  if (!error) return null;
  if (/^blocked: robots\.txt/.test(error)) return { reason: 'robots', detail: error.replace(/^blocked: /, '') };
  if (/^blocked: rate_limited:/.test(error))
    return { reason: 'rate_limited', detail: error.replace(/^blocked: rate_limited: /, '') };
  const net =
    /net::(ERR_NAME_NOT_RESOLVED|ERR_NAME_RESOLUTION_FAILED|ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_CONNECTION_CLOSED|ERR_CONNECTION_TIMED_OUT|ERR_TIMED_OUT|ERR_ADDRESS_UNREACHABLE|ERR_EMPTY_RESPONSE|ERR_CERT_[A-Z_]+|ERR_SSL_[A-Z_]+|ERR_BAD_SSL_CLIENT_AUTH_CERT)/.exec(
      error,
    );
  return net ? { reason: 'down', detail: `the start page did not load (${net[1]})` } : null;
}

/** Why the page shown cannot be done, or null when it can (as far as its signals tell). */
export function obstacleOfPage(page: PageSignals): Obstacle | null {
  const challengeHost = page.resourceHosts.find(
    (h) => CHALLENGE_HOSTS.test(h) || (RECAPTCHA_PATH.test(h) && page.captchaWidgets.length > 0),
  );
  if (page.captchaWidgets.length > 0 || challengeHost)
    return {
      reason: 'captcha',
      detail: `a CAPTCHA on the page (${[...page.captchaWidgets, ...(challengeHost ? [challengeHost] : [])].slice(0, 3).join(', ')})`,
    };
  const title = page.title.trim();
  if (BOT_WALL_TITLES.some((t) => t.test(title)) || BOT_WALL_TEXT.test(page.text))
    return { reason: 'bot_wall', detail: `a bot challenge instead of the page (“${title.slice(0, 80)}”)` };
  if (page.status === 429 || (page.status === 503 && page.retryAfter))
    return {
      reason: 'rate_limited',
      detail: `the site answered ${page.status}${page.retryAfter ? ` (Retry-After: ${page.retryAfter.slice(0, 40)})` : ''}`,
    };
  if (page.status !== null && page.status >= 500) return { reason: 'down', detail: `the site answered ${page.status}` };
  if (page.consent?.popup && page.consent.optedOut === false)
    return { reason: 'consent', detail: `the ${page.consent.cmp ?? 'consent'} popup stayed: opting out failed` };
  if (page.overlayText !== null && CONSENT_TEXT.test(page.overlayText))
    return {
      reason: 'consent',
      detail: `a consent wall covers the page (“${page.overlayText.replace(/\s+/g, ' ').trim().slice(0, 80)}”)`,
    };
  // A login wall: a password field, on a login address or with little else on the page to use.
  let path = '';
  try {
    path = new URL(page.url).pathname + new URL(page.url).search;
  } catch {
    // not a URL: no path to read
  }
  if (
    page.passwordFields > 0 &&
    (LOGIN_PATH.test(path) || (page.otherFields <= 3 && page.links <= 12 && LOGIN_TEXT.test(`${title} ${page.text}`)))
  )
    return {
      reason: 'login',
      detail: `a login form instead of the page (${path.slice(0, 80) || page.url.slice(0, 80)})`,
    };
  return null;
}

/** The in-page part: gathers the signals a page shows (run in the session's isolated world). */
export const PAGE_SIGNALS_SOURCE = `(() => {
  const visible = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const hosts = new Set();
  for (const el of document.querySelectorAll('iframe[src], script[src]')) { try { hosts.add(new URL(el.src, location.href).hostname); } catch {} }
  const widgets = ${JSON.stringify(CAPTCHA_SELECTORS)}.filter((s) => document.querySelector(s));
  const fields = [...document.querySelectorAll('input, select, textarea')].filter(visible);
  const passwords = fields.filter((f) => f.type === 'password').length;
  const others = fields.filter((f) => f.type !== 'password' && f.type !== 'hidden' && f.type !== 'submit').length;
  // What lies over the page: at two of three points away from the header band, a fixed or modal layer on
  // top (a dialog's backdrop counts), and that layer's text; a long one is an app's fixed root, the page.
  const layers = new Set();
  let covered = 0;
  for (const [fx, fy] of [[0.5, 0.5], [0.15, 0.65], [0.85, 0.4]]) {
    let found = null;
    for (let el = document.elementFromPoint(innerWidth * fx, innerHeight * fy); el && el !== document.body && el !== document.documentElement; el = el.parentElement) {
      const s = getComputedStyle(el);
      if (s.position === 'fixed' || el.getAttribute('aria-modal') === 'true' || (el.tagName === 'DIALOG' && el.open)) found = el;
    }
    if (found) { covered += 1; layers.add(found); }
  }
  const modalDialog = document.querySelector('dialog:modal');
  if (modalDialog) { covered = 3; layers.add(modalDialog); }
  const layerText = [...layers].map((el) => el.innerText || el.getAttribute('aria-label') || '').join(' ').replace(/\\s+/g, ' ').trim();
  const overlayText = covered >= 2 && layerText.length <= 1500 ? layerText.slice(0, 400) : null;
  return {
    overlayText,
    title: document.title || '',
    captchaWidgets: widgets,
    resourceHosts: [...hosts].slice(0, 50),
    passwordFields: passwords,
    otherFields: others,
    links: document.querySelectorAll('a[href]').length,
    text: (document.body ? document.body.innerText : '').replace(/\\s+/g, ' ').slice(0, 600),
  };
})()`;
