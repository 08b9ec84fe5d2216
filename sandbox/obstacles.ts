// The real web's obstacles, one page each on five sandbox sites, modelled on what real sites serve: a
// Cloudflare Turnstile challenge, a login wall, rate limiting with Retry-After, a site that is down, a
// consent-or-pay wall. Each has a task that cannot be done there: its trajectory must end not_executable
// with the reason named here. And a consent popup that can be answered: Complianz's, which the browser's
// consent library opts out of before the agent reads the page.
import type { Route, SandboxTask } from './types.ts';

/** Cloudflare's managed challenge, as its interstitial reads (title, text, Turnstile widget, challenge script). */
export const challengePage: Route = (req) =>
  req.path === '/member-deals'
    ? {
        status: 403,
        html: `<!doctype html><html lang="en-US"><head><title>Just a moment...</title><meta name="robots" content="noindex,nofollow"></head><body>
<div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title h1">skyhop.example</h1>
<h2 class="h2" id="challenge-running">Verify you are human by completing the action below.</h2>
<div id="turnstile-wrapper" class="cf-turnstile" data-sitekey="0x4AAAAAAADnPIDROrmt1Wwj"></div>
<div id="challenge-body-text" class="core-msg spacer">skyhop.example needs to review the security of your connection before proceeding.</div>
<form id="challenge-form" action="/member-deals?__cf_chl_f_tk=x" method="POST" enctype="application/x-www-form-urlencoded"></form></div></div>
<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8f1e2d3c4b5a6978"></script></body></html>`,
      }
    : undefined;

/** An account page that sends a visitor without a session to the sign-in form. */
export const loginWall: Route[] = [
  (req) => (req.path === '/account/orders' ? { redirect: '/login?next=%2Faccount%2Forders', status: 302 } : undefined),
  (req) =>
    req.path === '/login'
      ? {
          html: `<!doctype html><html><head><title>Sign in · Northwind Goods</title></head><body><main><h1>Sign in to your account</h1>
<form method="post" action="/login"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form><p><a href="/login/forgot">Forgot your password?</a></p></main></body></html>`,
        }
      : undefined,
];

/** A booking page that answers 429 with Retry-After, as an API gateway's rate limiter does. */
export const rateLimited: Route = (req) =>
  req.path === '/appointments'
    ? {
        custom: (res) =>
          void res
            .writeHead(429, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '1' })
            .end(
              '<!doctype html><title>Too Many Requests</title><h1>Too many requests</h1><p>Please try again later.</p>',
            ),
      }
    : undefined;

/** An archive whose backend is down: 503 and no Retry-After, as a load balancer with no healthy target. */
export const downPage: Route = (req) =>
  req.path.startsWith('/archive')
    ? {
        status: 503,
        html: '<!doctype html><title>503 Service Temporarily Unavailable</title><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>',
      }
    : undefined;

/** Complianz's cookie banner with its soft cookie wall (as the WordPress plugin renders them), until answered. */
export function complianzBanner(req: { raw: { headers: { cookie?: string } } }): string {
  if (/(^|;\s*)cmplz_banner-status=dismissed/.test(req.raw.headers.cookie ?? '')) return '';
  return `<div id="cmplz-cookiebanner-container"><div class="cmplz-cookiebanner cmplz-show banner-1 optin cmplz-center cmplz-categories-type-view-preferences" aria-modal="true" data-nosnippet="true" role="dialog" aria-live="polite" aria-labelledby="cmplz-header-1-optin" aria-describedby="cmplz-message-1-optin" style="position:fixed;z-index:100;left:50%;top:50%;transform:translate(-50%,-50%);width:520px;background:#fff;padding:20px;border-radius:8px">
<div class="cmplz-header"><div class="cmplz-title" id="cmplz-header-1-optin">Manage Cookie Consent</div></div>
<div class="cmplz-body"><div class="cmplz-message" id="cmplz-message-1-optin">To provide the best experiences, we use technologies like cookies to store and/or access device information. Consenting to these technologies will allow us to process data such as browsing behaviour or unique IDs on this site. Not consenting or withdrawing consent, may adversely affect certain features and functions.</div></div>
<div class="cmplz-buttons"><button class="cmplz-btn cmplz-accept">Accept</button><button class="cmplz-btn cmplz-deny">Deny</button><button class="cmplz-btn cmplz-view-preferences">View preferences</button></div>
<div class="cmplz-links cmplz-documents"><a href="/privacy" class="cmplz-link privacy-statement">Privacy Statement</a></div></div></div>
<div class="cmplz-soft-cookiewall" id="cmplz-cookiewall" style="position:fixed;inset:0;z-index:99;background:rgba(0,0,0,.6)"></div>
<script>(() => {
  const answer = (marketing) => {
    document.cookie = 'cmplz_banner-status=dismissed; path=/; SameSite=Lax';
    document.cookie = 'cmplz_marketing=' + marketing + '; path=/; SameSite=Lax';
    // Complianz records the choice on the site (its REST route), as the plugin does.
    fetch('/wp-json/complianz/v1/track', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ marketing }) });
    document.getElementById('cmplz-cookiebanner-container').remove();
    document.getElementById('cmplz-cookiewall').remove();
    for (const el of document.querySelectorAll('[data-cmplz-walled]')) el.hidden = false;
  };
  document.querySelector('.cmplz-deny').addEventListener('click', () => answer('deny'));
  document.querySelector('.cmplz-accept').addEventListener('click', () => answer('allow'));
})();</script>`;
}

/** Where the banner records the visitor's choice. */
export const complianzTrack: Route = (req, state) => {
  if (req.path !== '/wp-json/complianz/v1/track' || req.method !== 'POST') return undefined;
  const marketing = (req.json as { marketing?: unknown } | null)?.marketing;
  if (marketing !== 'deny' && marketing !== 'allow')
    return { status: 400, json: { error: 'marketing: deny or allow' } };
  state.consentChoices.set(req.sid, marketing);
  return { json: { success: true } };
};

/** A consent-or-pay wall (as German news sites run them): accept tracking or subscribe, and no way to refuse. */
export const consentOrPayWall = (
  site: string,
) => `<div class="cp-wall" role="dialog" aria-modal="true" aria-labelledby="cp-title" style="position:fixed;inset:0;z-index:100;background:rgba(0,0,0,.7);display:flex;align-items:center;justify-content:center">
<div style="background:#fff;max-width:520px;padding:24px"><h2 id="cp-title">Read ${site} with ads, or subscribe</h2>
<p>We and our 842 partners store and access information on your device, such as cookies, and process personal data for personalised advertising and content, ad and content measurement and audience research. You can use ${site} for free with advertising and tracking, or subscribe to ${site} Club for €3.99 a month without ads and tracking.</p>
<button type="button">Accept and continue</button> <button type="button">Subscribe</button>
<p><a href="/privacy">Privacy policy</a></p></div></div>`;

/** A task on a page that cannot be done: the plan is empty (the agent is never asked), the check never passes. */
export function impossibleTask(
  task: Omit<SandboxTask, 'kind' | 'plan' | 'check'> & { obstacle: NonNullable<SandboxTask['obstacle']> },
): SandboxTask {
  return { ...task, kind: 'not_executable', plan: [], check: () => false };
}
