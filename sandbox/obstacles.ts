// The real web's obstacles, one page each on four sandbox sites, modelled on what real sites serve: a
// Cloudflare Turnstile challenge, a login wall, rate limiting with Retry-After, a site that is down. Each has
// a task that cannot be done there: its trajectory must end not_executable with the reason named here.
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

/** A task on a page that cannot be done: the plan is empty (the agent is never asked), the check never passes. */
export function impossibleTask(
  task: Omit<SandboxTask, 'kind' | 'plan' | 'check'> & { obstacle: NonNullable<SandboxTask['obstacle']> },
): SandboxTask {
  return { ...task, kind: 'not_executable', plan: [], check: () => false };
}
