// Small HTML helpers shared by the sandbox sites: escaping, a page layout with a real-looking style.

export function esc(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export interface LayoutOptions {
  title: string;
  brand: string;
  nav?: Array<[string, string]>;
  body: string;
  script?: string;
  accent?: string;
  /** A long list of links in the footer (a sitemap), as real sites carry: the observation collapses it. */
  footerNav?: { heading: string; links: Array<[string, string]> };
}

export function layout(o: LayoutOptions): string {
  const nav = (o.nav ?? []).map(([href, label]) => `<a href="${esc(href)}">${esc(label)}</a>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(o.title)}</title>
<style>
  [hidden]{display:none!important}
  body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
  header{background:${o.accent ?? '#234'};color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:center}
  header a{color:#fff;text-decoration:none;margin-right:16px} header .brand{font-weight:700;font-size:20px}
  main{max-width:960px;margin:24px auto;padding:0 16px} .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:8px 0}
  .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px} .error{color:#b00020;font-size:14px}
  .modal-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.4);display:flex;align-items:center;justify-content:center}
  .modal{background:#fff;padding:24px;border-radius:8px;min-width:320px} label{display:block;margin:8px 0 4px}
  [role=listbox]{border:1px solid #aaa;background:#fff;position:absolute;z-index:5;min-width:180px} [role=option]{padding:4px 8px;cursor:pointer}
  [role=option]:hover{background:#eef} .dropdown{position:relative;display:inline-block} table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:4px 8px}
  footer{color:#777;font-size:13px;text-align:center;margin:40px 0} .sitemap{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px;justify-content:center}
</style></head>
<body><header><span class="brand">${esc(o.brand)}</span><nav>${nav}</nav></header>
<main>${o.body}</main>
<footer>${o.footerNav ? `<nav aria-label="${esc(o.footerNav.heading)}"><h2>${esc(o.footerNav.heading)}</h2><ul class="sitemap">${o.footerNav.links.map(([href, label]) => `<li><a href="${esc(href)}">${esc(label)}</a></li>`).join('')}</ul></nav>` : ''}${esc(o.brand)} — a webtrail sandbox site. No real transactions.</footer>
${o.script ? `<script>${o.script}</script>` : ''}
</body></html>`;
}
