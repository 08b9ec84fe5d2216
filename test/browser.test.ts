// The browser environment on the sandbox web: what the agent sees, what it can do, and the guards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/server.ts';
import { findTarget } from '../sandbox/planMatcher.ts';
import type { BrowserPool } from '../browser/browserPool.ts';
import type { BrowserSession } from '../browser/browserSession.ts';
import type { Action } from '../schemas/types.ts';
import { expectStillServing, testPool } from './helpers/browser.ts';
import { loadTokenizer } from '../platform/tokenizer.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveDirectory, type LocalServer } from '../browser/localPages.ts';
import { observeSnapshot } from '../browser/snapshot.ts';
import { waitFor } from './helpers/kafka.ts';

let sandbox: Sandbox;
let pool: BrowserPool;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  pool = testPool(sandbox.allowHost, {
    WEBTRAIL_BROWSER_NAVIGATION_TIMEOUT_MS: '4000',
    WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS: '4000',
    WEBTRAIL_BROWSER_MAX_DOM_NODES: '20000',
  });
});
afterAll(async () => {
  await pool?.close();
  await sandbox?.close();
});

const act = (
  kind: Action['kind'],
  elementId: number | null = null,
  value: string | null = null,
  submit = false,
): Action => ({ kind, elementId, value, submit });

async function open(path: string, site: string): Promise<BrowserSession> {
  const session = await pool.newSession();
  const result = await session.goto(new URL(path, sandbox.siteUrl(site)).toString());
  if (!result.ok && site !== 'hostile') throw new Error(result.error ?? 'goto failed');
  return session;
}

async function idOf(session: BrowserSession, target: string, role?: string): Promise<number> {
  const found = findTarget((await session.observe()).text, { kind: 'click', target, role });
  if (!found) throw new Error(`no ${role ?? 'element'} "${target}" in:\n${(await session.observe()).text}`);
  return found.id;
}

describe('observation', () => {
  it('numbers every kind of form control with its name, value and options', async () => {
    const session = await open('/', 'travel');
    try {
      const { text, elements } = await session.observe();
      expect(text).toMatch(/\[\d+\] combobox "From" name=from placeholder="City or airport" expanded=false/);
      expect(text).toMatch(/\[\d+\] textbox "Departure date" name=date type=date/);
      expect(text).toMatch(/\[\d+\] spinbutton "Passengers" name=passengers type=number value="1" min=1 max=6/);
      expect(text).toMatch(/\[\d+\] radio "Economy" name=cabin checked/);
      const passengers = elements.find((e) => e.name === 'Passengers')!;
      expect(passengers).toMatchObject({
        role: 'spinbutton',
        tag: 'input',
        htmlName: 'passengers',
        type: 'number',
        value: '1',
        disabled: false,
      });
      expect(passengers.box.width).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });

  it('reads selects with options, checkboxes, custom dropdowns and below-the-fold elements', async () => {
    const session = await open('/', 'shop');
    try {
      const { text, elements, facts } = await session.observe();
      expect(text).toMatch(
        /\[\d+\] combobox "Category" name=category value="All categories" options: \*All categories\* \| Furniture \| Garden \| Kitchen/,
      );
      expect(text).toMatch(/\[\d+\] checkbox "Red" name=color/);
      expect(text).toMatch(/\[\d+\] combobox "Sort by" value="Featured ▾" expanded=false/);
      const next = elements.find((e) => e.name === 'Next page ›')!;
      expect(next.href).toContain('page=2');
      expect(facts.pageHeight).toBeGreaterThan(facts.viewportHeight);
      expect(elements.some((e) => !e.inViewport)).toBe(true);
      expect(text).toContain('Next page ›');
    } finally {
      await session.close();
    }
  });

  it('sees into same-origin iframes and acts there', async () => {
    const session = await open('/visit', 'library');
    try {
      const { text } = await session.observe();
      expect(text).toContain('[frame Opening hours]');
      expect(text).toMatch(/Saturday \| 10:00 – 16:00/);
      const link = await idOf(session, 'Accessibility information', 'link');
      const result = await session.act(act('click', link));
      expect(result).toMatchObject({ ok: true, navigated: true });
    } finally {
      await session.close();
    }
  });

  it('sees into open shadow roots and acts there; reads sliders and tabs', async () => {
    const session = await open('/recipe/pad-thai', 'recipes');
    try {
      const first = await session.observe();
      expect(first.text).toContain('Calories per serving: 540 kcal');
      expect(first.text).toMatch(/\[\d+\] slider "Servings" type=range value="2" min=1 max=12/);
      const details = await idOf(session, 'Show details', 'button');
      expect((await session.act(act('click', details))).ok).toBe(true);
      expect((await session.observe()).text).toContain('Values are estimates.');
      const slider = await idOf(session, 'Servings', 'slider');
      expect((await session.act(act('type', slider, '4'))).ok).toBe(true);
      expect((await session.observe()).text).toContain('400 g rice noodles');
    } finally {
      await session.close();
    }
    const tabs = await open('/', 'recipes');
    try {
      expect((await tabs.observe()).text).toMatch(/\[\d+\] tab "Middle Eastern" selected/);
      await tabs.act(act('click', await idOf(tabs, 'Thai', 'tab')));
      const after = await tabs.observe();
      expect(after.text).toMatch(/\[\d+\] tab "Thai" selected/);
      expect(after.text).toContain('Green Curry');
    } finally {
      await tabs.close();
    }
  });

  it('observes a document that has no root yet (a popup between navigations) as empty, without throwing', async () => {
    const session = await open('/', 'gov');
    try {
      await (await session.page()).evaluate(() => document.documentElement.remove());
      const observation = await session.observe();
      expect(observation.facts.url).toMatch(/^http:\/\/gov\.localhost:\d+\/$/);
      expect(observation.text).not.toContain('Apply for a permit');
    } finally {
      await session.close();
    }
  });

  it('keeps element ids across observations, and refuses an id that is gone', async () => {
    const session = await open('/', 'shop');
    try {
      const a = await session.observe();
      const b = await session.observe();
      expect(b.elements.map((e) => [e.id, e.name])).toEqual(a.elements.map((e) => [e.id, e.name]));
      const sort = await idOf(session, 'Sort by', 'combobox');
      await session.act(act('click', sort));
      const opened = await session.observe();
      expect(opened.elements.find((e) => e.id === sort)?.expanded).toBe('true');
      expect(opened.text).toMatch(/\[\d+\] option "Price: low to high"/);
      const gone = await session.act(act('click', 99_999));
      expect(gone.ok).toBe(false);
      expect(gone.error).toBe('element [99999] is no longer on the page; observe again and use a current id');
      await session.act(act('click', sort)); // close the dropdown again
      const link = await idOf(session, 'Blue Ceramic Mug', 'link');
      expect((await session.act(act('click', link))).ok).toBe(true);
      const stale = await session.act(act('click', link));
      expect(stale.error).toMatch(/no longer on the page/);
    } finally {
      await session.close();
    }
  });

  it('shortens prose before it drops form controls when over the token budget', async () => {
    const session = await open('/', 'shop');
    try {
      const full = await session.observe(100_000);
      const formRoles = ['searchbox', 'combobox', 'checkbox'];
      // A budget with room for the header, the form controls and the note of what was left out, little more.
      const qwen = loadTokenizer('qwen2_5');
      const lines = full.text.split('\n');
      const controlLines = lines.filter((l) => /^\[\d+\] (searchbox|combobox|checkbox|button)/.test(l));
      const budget =
        qwen.count(lines.slice(0, 3).join('\n')) + controlLines.reduce((n, l) => n + qwen.count(l) + 1, 0) + 100;
      expect(budget).toBeLessThan(full.tokens);
      const small = await session.observe(budget);
      expect(small.tokens).toBeLessThanOrEqual(budget);
      expect(small.omitted.proseLines).toBeGreaterThan(0);
      const fullControls = full.elements.filter((e) => formRoles.includes(e.role)).map((e) => e.id);
      expect(small.elements.filter((e) => formRoles.includes(e.role)).map((e) => e.id)).toEqual(fullControls);
      expect(small.text).toContain('[omitted to fit the budget');
    } finally {
      await session.close();
    }
  });
});

describe('pages as real sites write them (saved, served locally)', () => {
  const menu = Array.from({ length: 30 }, (_, i) => `<li><a href="/section/${i}">Section ${i}</a></li>`).join('');
  const prose = (n: number) =>
    Array.from(
      { length: n },
      (_, i) =>
        `<p>Paragraph ${i}: the council met on Tuesday to weigh the proposal for a new bridge, and agreed to publish its findings next spring.</p>`,
    ).join('');
  const files: Record<string, string> = {
    'controls.html': `<title>Controls</title><form action="/s"><a href="/help"><input name="inlink" placeholder="In a link"></a>
      <input name="notype" placeholder="No type"><label><input type="Checkbox" name="cased"> Cased type</label><input TYPE="HIDDEN" name="secret" value="x">
      <button type="Submit">Go</button></form>`,
    // No <main>: the article is found by where its prose is, the menu is navigation.
    'article.html': `<title>Article</title><div id="top"><ul class="menu">${menu}</ul></div><div id="content"><h1>The bridge</h1>${prose(40)}</div><div id="bottom">Imprint · Contact</div>`,
    // Saved without its script file, as crawled pages are: only the <noscript> fallback offers the field.
    'unsaved-script.html': `<title>Unsaved</title><script src="/widget.js"></script><form action="/s"><noscript><textarea name="fallback" placeholder="Type the words"></textarea></noscript><input name="always" placeholder="Always"></form>`,
    // Its script comes from outside, which a saved page's gate refuses.
    'outside-script.html': `<title>Outside</title><script src="http://127.0.0.2:9/widget.js"></script><form action="/s"><noscript><input name="fallback" placeholder="Without scripts"></noscript></form>`,
    // Every script file present: the scripts run, and their fallback stays hidden as in any browser.
    'whole.html': `<title>Whole</title><script src="/built.js"></script><form action="/s"><noscript><input name="fallback" placeholder="Without scripts"></noscript><div id="out"></div></form>`,
    'built.js': `addEventListener('DOMContentLoaded', () => { document.getElementById('out').innerHTML = '<input name="scripted" placeholder="Built by script">'; });`,
  };
  let server: LocalServer;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'webtrail-pages-'));
    for (const [name, text] of Object.entries(files))
      writeFileSync(path.join(dir, name), name.endsWith('.html') ? `<!doctype html>${text}` : text);
    server = await serveDirectory(dir);
  });
  afterAll(async () => server?.close());

  it('reads controls inside links, inputs without a type, and type values in any case', async () => {
    const { observation, session } = await observeSnapshot(pool, `${server.origin}/controls.html`, server.host);
    await session.close();
    expect(observation.text).toMatch(/\[\d+\] textbox "In a link" name=inlink/);
    expect(observation.text).toMatch(/\[\d+\] textbox "No type" name=notype/);
    expect(observation.text).toMatch(/\[\d+\] checkbox "Cased type" name=cased/);
    expect(observation.text).toMatch(/\[\d+\] button "Go"/);
    expect(observation.elements.map((e) => e.htmlName)).not.toContain('secret');
  });

  it('observes a page without scripts, <noscript> fallbacks included, when its script files do not all load', async () => {
    for (const page of ['unsaved-script.html', 'outside-script.html']) {
      const { observation, session, scripts } = await observeSnapshot(pool, `${server.origin}/${page}`, server.host);
      await session.close();
      expect(scripts, page).toBe(false);
      expect(
        observation.elements.map((e) => e.htmlName),
        page,
      ).toContain('fallback');
    }
    const { observation, session, scripts } = await observeSnapshot(pool, `${server.origin}/whole.html`, server.host);
    await session.close();
    expect(scripts).toBe(true);
    expect(observation.text).toMatch(/\[\d+\] textbox "Built by script" name=scripted/);
    expect(observation.elements.map((e) => e.htmlName)).not.toContain('fallback');
  });

  it("collapses a menu, and keeps an article's prose over it when the page is over the budget", async () => {
    const { observation: whole, session } = await observeSnapshot(
      pool,
      `${server.origin}/article.html`,
      server.host,
      100_000,
    );
    try {
      expect(whole.text).toMatch(
        /^\[\d+\] group: 30 links: Section 0 \| Section 1 \| Section 2 \| Section 3 \| Section 4 \| Section 5 \| … \(click to list them\)$/m,
      );
      expect(whole.text).toContain('Paragraph 39: the council');
      const small = await session.observe(1200);
      expect(small.tokens).toBeLessThanOrEqual(1200);
      expect(small.text).toContain('# The bridge');
      for (const i of [0, 1, 2, 3, 4]) expect(small.text).toContain(`Paragraph ${i}: the council met on Tuesday`);
      expect(small.text).not.toContain('group: 30 links');
      expect(small.text).toMatch(
        /\[omitted to fit the budget of 1200 tokens: \d+ lines \(\d+ from the main content, 1 from the navigation, 1 from the other parts of the page\); scroll, open a group or act to see more\]/,
      );
    } finally {
      await session.close();
    }
  });
});

describe('link groups', () => {
  it('shows a long list of links as one group line; a click on it lists every link, which then work', async () => {
    const session = await open('/', 'library');
    try {
      const collapsed = await session.observe();
      const line = collapsed.text.split('\n').find((l) => l.includes(' group "Browse by subject"'));
      // The sixteen subjects of the sandbox library's footer, the first six as a sample.
      expect(line).toMatch(
        /^\[\d+\] group "Browse by subject": 16 navigation links: Art \| Biography \| Children \| Cookery \| Crime \| Drama \| … \(click to list them\)$/,
      );
      expect(collapsed.text).not.toContain('link "Ecology"');
      const group = Number(/^\[(\d+)\]/.exec(line!)![1]);
      // Its number is no element's.
      expect(collapsed.elements.map((e) => e.id)).not.toContain(group);
      expect(collapsed.groups).toEqual([group]);
      expect(await session.act(act('click', group))).toMatchObject({ ok: true, navigated: false });
      const opened = await session.observe();
      expect(opened.groups).toEqual([]);
      expect(opened.text).toMatch(/\[\d+\] link "Ecology" → \/subject\/ecology/);
      expect(opened.text).toMatch(/\[\d+\] link "Travel" → \/subject\/travel/);
      await session.act(act('click', await idOf(session, 'Ecology', 'link')));
      const subject = await session.observe();
      expect(subject.text).toMatch(/# Subject: Ecology\n\[\d+\] link "Silent Spring"/);
      // A new page: its groups start collapsed again.
      expect(subject.groups).toHaveLength(1);
    } finally {
      await session.close();
    }
  });
});

describe('actions', () => {
  it('types into inputs, contenteditable editors and textareas, selects options, and submits', async () => {
    const session = await open('/new', 'forum');
    try {
      await session.act(act('type', await idOf(session, 'Title'), 'Hello bench'));
      await session.act(act('select', await idOf(session, 'Category'), 'Making'));
      const editor = await idOf(session, 'Message', 'textbox');
      expect((await session.act(act('type', editor, 'Rich text body'))).ok).toBe(true);
      const filled = await session.observe();
      expect(filled.text).toMatch(/textbox "Title" name=title value="Hello bench"/);
      expect(filled.text).toMatch(/combobox "Category" name=category value="Making"/);
      expect(filled.text).toMatch(/textbox "Message" value="Rich text body"/);
      const created = await session.act(act('click', await idOf(session, 'Create thread', 'button')));
      expect(created).toMatchObject({ ok: true, navigated: true });
      expect(created.url).toMatch(/\/thread\/t\w+$/);
      await session.act(act('type', await idOf(session, 'Your reply'), 'First!'));
      await session.act(act('click', await idOf(session, 'Post reply', 'button')));
      expect((await session.observe()).text).toContain('you: First!');
    } finally {
      await session.close();
    }
  });

  it('checks native radios and ARIA checkboxes and switches, and reports validation messages', async () => {
    const session = await open('/apply/3', 'gov');
    try {
      await session.act(act('click', await idOf(session, 'Continue', 'button')));
      const errors = await session.observe();
      expect(errors.text).toContain('Select the permit you need');
      await session.act(act('check', await idOf(session, 'River fishing licence', 'radio')));
      const declare = await idOf(session, 'I declare the information I have given is correct', 'checkbox');
      await session.act(act('check', declare));
      await session.act(act('check', declare)); // already checked: stays checked
      await session.act(act('click', await idOf(session, 'Email me updates', 'switch')));
      const text = (await session.observe()).text;
      expect(text).toMatch(/radio "River fishing licence" name=permit checked/);
      expect(text).toMatch(/checkbox "I declare the information I have given is correct" checked/);
      expect(text).toMatch(/switch "Email me updates" checked/);
      await session.act(act('uncheck', declare));
      expect((await session.observe()).text).not.toMatch(/checkbox "I declare[^\n]*checked/);
    } finally {
      await session.close();
    }
  });

  it('scrolls, hovers, presses keys, goes back and forward, follows goto, waits, and switches tabs', async () => {
    const session = await open('/', 'shop');
    try {
      // The shop renders its catalogue on the client: wait until the page is taller than the window.
      await waitFor(
        async () => ((await session.observe()).facts.pageHeight > 1000 ? true : undefined),
        10_000,
        'the catalogue to render',
      );
      expect((await session.act(act('scroll', null, 'down'))).ok).toBe(true);
      expect((await session.observe()).facts.scrollY).toBeGreaterThan(0);
      expect((await session.act(act('scroll', null, 'up'))).ok).toBe(true);
      expect((await session.observe()).facts.scrollY).toBe(0);
      expect(await session.act(act('scroll', null, 'up'))).toMatchObject({
        ok: false,
        error: 'the page did not scroll: already at the top',
      });
      expect((await session.act(act('hover', await idOf(session, 'Cart', 'link')))).ok).toBe(true);
      const search = await idOf(session, 'Search products');
      await session.act(act('type', search, 'lamp'));
      const pressed = await session.act(act('press', null, 'Enter'));
      expect(pressed.url).toContain('q=lamp');
      const mug = new URL('/product/blue-ceramic-mug', sandbox.siteUrl('shop')).toString();
      expect((await session.act(act('goto', null, mug))).url).toBe(mug);
      expect((await session.act(act('go_back'))).url).toContain('q=lamp');
      expect((await session.act(act('go_forward'))).url).toBe(mug);
      const started = Date.now();
      expect((await session.act(act('wait', null, '1'))).ok).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      const tab = await session.act(act('new_tab', null, new URL('/', sandbox.siteUrl('library')).toString()));
      expect(tab).toMatchObject({ ok: true, newTab: true });
      expect((await session.observe()).text).toContain('Tabs (switch_tab with the number)');
      expect((await session.act(act('switch_tab', null, '0'))).url).toBe(mug);
      expect((await session.act(act('switch_tab', null, '7'))).error).toBe('no tab 7; there are 2 tabs (0-1)');
      expect((await session.act(act('answer', null, 'done'))).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("settles once the click's request is answered, even when the page never reads the body", async () => {
    // The shop's "Add to cart" fires a fetch and never reads its body, so Playwright never reports the
    // request finished. With a 20 s settle cap, waiting for that would hold every such click for 20 s.
    const patient = testPool(sandbox.allowHost, { WEBTRAIL_BROWSER_SETTLE_MS: '20000' });
    const session = await patient.newSession();
    try {
      expect((await session.goto(new URL('/product/blue-ceramic-mug', sandbox.siteUrl('shop')).toString())).ok).toBe(
        true,
      );
      const started = Date.now();
      const result = await session.act(act('click', await idOf(session, 'Add to cart', 'button')));
      expect(result.ok).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await session.observe()).text).toContain('Added to cart');
    } finally {
      await session.close();
      await patient.close();
    }
  });

  it('takes JPEG screenshots of the viewport (1280x800 by default)', async () => {
    const session = await open('/', 'gov');
    try {
      const jpeg = await session.screenshot();
      expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(jpegSize(jpeg)).toEqual({ width: 1280, height: 800 });
      // The gov home page is not one colour: a blank capture compresses to a few hundred bytes.
      expect(jpeg.length).toBeGreaterThan(5000);
    } finally {
      await session.close();
    }
  });
});

describe('guards on hostile pages', () => {
  async function hostile(path: string, body: (session: BrowserSession) => Promise<void>): Promise<BrowserSession> {
    const session = await open(path, 'hostile');
    try {
      await body(session);
      return session;
    } finally {
      await session.close();
    }
  }
  const kinds = (s: BrowserSession) => s.guardEvents.map((e) => e.kind);

  it('ends a redirect loop with an error', async () => {
    const session = await pool.newSession();
    const started = Date.now();
    const result = await session.goto(new URL('/redirect-loop', sandbox.siteUrl('hostile')).toString());
    await session.close();
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/ERR_TOO_MANY_REDIRECTS/);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('refuses downloads', async () => {
    const session = await hostile('/download-link', async (s) => {
      await s.act(act('click', await idOf(s, 'Download now', 'link')));
    });
    expect(kinds(session)).toContain('download_refused');
    expect(session.guardEvents.find((e) => e.kind === 'download_refused')?.detail).toContain('payload.exe');
  });

  it('answers dialogs and closes a page that will not stop opening them', async () => {
    const session = await pool.newSession();
    try {
      await session.goto(new URL('/dialog-loop', sandbox.siteUrl('hostile')).toString());
      await new Promise((r) => setTimeout(r, 1500));
      expect(kinds(session)).toContain('dialog_answered');
      expect(kinds(session)).toContain('dialog_loop');
      const after = await session.observe();
      expect(after.facts.url).toBe('about:blank');
    } finally {
      await session.close();
    }
  });

  it('follows a popup as a tab but refuses a storm of them', async () => {
    const session = await hostile('/popup-storm', async (s) => {
      await new Promise((r) => setTimeout(r, 1000));
      expect(s.tabCount).toBeLessThanOrEqual(5);
    });
    expect(kinds(session)).toContain('popup_followed');
    expect(kinds(session)).toContain('popup_refused');
  });

  it('gives up on a page that never loads within the navigation limit', async () => {
    const session = await pool.newSession();
    const started = Date.now();
    const result = await session.goto(new URL('/never-loads', sandbox.siteUrl('hostile')).toString());
    await session.close();
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/Timeout 4000ms exceeded/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('caps the DOM walk of a 200k-node page', async () => {
    // What the cap promises is where the walk stops, not a time: on a loaded 2-core CI machine the first
    // style pass over 200k nodes alone can outlast the suite's 4 s action timeout, so this session has a
    // patient one (how fast observation is belongs to `npm run bench`).
    const patient = testPool(sandbox.allowHost, {
      WEBTRAIL_BROWSER_ACTION_TIMEOUT_MS: '60000',
      WEBTRAIL_BROWSER_MAX_DOM_NODES: '20000',
    });
    const session = await patient.newSession();
    try {
      await session.goto(new URL('/huge-dom', sandbox.siteUrl('hostile')).toString());
      const observation = await session.observe();
      expect(observation.omitted.domTruncated).toBe(true);
      expect(observation.text).toContain('[page truncated: more than 20000 DOM nodes]');
      expect(observation.text).not.toContain('Home');
      expect(kinds(session)).toContain('dom_cap');
    } finally {
      await session.close();
      await patient.close();
    }
  });

  it('never leaves http(s): file: links, goto and meta refresh stay on the page', async () => {
    const session = await hostile('/file-links', async (s) => {
      await s.act(act('click', await idOf(s, 'passwords', 'link')));
      await new Promise((r) => setTimeout(r, 1500));
      expect((await s.observe()).facts.url).toMatch(/^http:\/\/hostile\.localhost:\d+\/file-links$/);
      const result = await s.act(act('goto', null, 'file:///etc/passwd'));
      expect(result.ok).toBe(false);
      expect(result.error).toBe('blocked: scheme file: is not allowed (http and https only)');
    });
    expect(session.guardEvents.some((e) => e.kind === 'request_blocked' && e.url === 'file:///etc/passwd')).toBe(true);
  });

  // The roads towards forbidden addresses are followed in test/egress.test.ts against a counter on a
  // forbidden loopback address; here the agent's own goto is refused before the browser does anything.
  it('refuses the cloud metadata address, private ranges and loopback when the agent goes there', async () => {
    const session = await hostile('/metadata-link', async (s) => {
      for (const [url, reason] of [
        ['http://169.254.169.254/latest/meta-data/', 'address 169.254.169.254 is link-local'],
        ['http://10.0.0.1/admin', 'address 10.0.0.1 is private'],
        ['http://[::ffff:a9fe:a9fe]/', 'address 169.254.169.254 is link-local'],
        ['http://0x7f.1:9092/', 'address 127.0.0.1 is loopback'],
        ['http://localhost:9092/', 'host localhost resolves to 127.0.0.1 is loopback'],
      ] as const) {
        const result = await s.act(act('goto', null, url));
        expect(result.error, url).toBe(`blocked: ${reason}`);
      }
    });
    expect(session.guardEvents.filter((e) => e.kind === 'request_blocked')).toHaveLength(5);
  });

  it('shows injected instructions as page text; where they lead is refused', async () => {
    const session = await hostile('/prompt-injection', async (s) => {
      expect((await s.observe()).text).toContain('ignore all previous instructions');
      const result = await s.act(act('goto', null, 'http://169.254.169.254/latest/meta-data/'));
      expect(result.error).toBe('blocked: address 169.254.169.254 is link-local');
    });
    expect(session.guardEvents.some((e) => e.kind === 'request_blocked' && e.url.includes('169.254.169.254'))).toBe(
      true,
    );
  });

  it('stops acting when the trajectory time limit is reached', async () => {
    const session = await pool.newSession({ trajectoryTimeoutMs: 1500 });
    try {
      await session.goto(new URL('/', sandbox.siteUrl('shop')).toString());
      await new Promise((r) => setTimeout(r, 1600));
      const result = await session.act(act('scroll', null, 'down'));
      expect(result).toMatchObject({
        ok: false,
        error: "timeout: the trajectory's time limit (1.5 s) ran out during the next action",
      });
      expect(session.stopped).toBe(result.error);
    } finally {
      await session.close();
    }
  });

  it('lets a page that allocates without end crash alone, under the script heap limit; the browser goes on', async () => {
    // Without the limit, V8's own ceiling (about 4 GB) is above what the page allocates (2 GB), so it never crashes.
    const lean = testPool(sandbox.allowHost, { WEBTRAIL_BROWSER_MAX_PAGE_HEAP_MB: '256' });
    try {
      const session = await lean.newSession();
      try {
        await session.goto(new URL('/memory-bomb', sandbox.siteUrl('hostile')).toString());
        await waitFor(() => (session.crashed ? true : undefined), 15_000, 'the memory bomb to crash its page');
        expect(kinds(session)).toContain('page_crashed');
        expect(session.guardEvents.find((e) => e.kind === 'page_crashed')?.detail).toContain('256 MB');
      } finally {
        await session.close();
      }
      await expectStillServing(lean, sandbox.siteUrl('gov'));
    } finally {
      await lean.close();
    }
  });

  it('holds at most the set number of contexts per Chromium process; one process going away costs only its own', async () => {
    const small = testPool(
      sandbox.allowHost,
      { WEBTRAIL_BROWSER_MAX_CONTEXTS_PER_PROCESS: '2' },
      { idleProcessMs: 300 },
    );
    try {
      const sessions = await Promise.all([small.newSession(), small.newSession(), small.newSession()]);
      const [a, b, c] = sessions as [BrowserSession, BrowserSession, BrowserSession];
      expect(small.processCount).toBe(2);
      expect(new Set(sessions.map((s) => s.browser)).size).toBe(2);
      const lonely = sessions.find((s) => sessions.filter((t) => t.browser === s.browser).length === 1)!;
      const pair = sessions.filter((s) => s !== lonely);
      // The lone context's process goes away unasked (as in a crash): the other two go on.
      await lonely.browser!.close();
      await waitFor(() => (small.processCount === 1 ? true : undefined), 5000, 'the gone process to be forgotten');
      expect(small.restarts).toBe(1);
      for (const session of pair)
        expect((await session.goto(new URL('/', sandbox.siteUrl('gov')).toString())).ok).toBe(true);
      // A third context now needs a new process; once it closes, that extra process is closed too.
      const extra = await small.newSession();
      expect(small.processCount).toBe(2);
      expect((await extra.goto(new URL('/', sandbox.siteUrl('gov')).toString())).ok).toBe(true);
      await extra.close();
      await waitFor(() => (small.processCount === 1 ? true : undefined), 5000, 'the emptied extra process to close');
      for (const session of [a, b, c]) await session.close();
      expect(small.processCount).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('survives all of the above: the same browser still serves a normal page', async () => {
    const session = await open('/', 'gov');
    try {
      expect((await session.observe()).text).toContain('Apply for a permit');
      expect(pool.restarts).toBe(0);
    } finally {
      await session.close();
    }
  });
});

/** Width and height from a JPEG's start-of-frame segment (baseline or progressive). */
function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  let at = 2;
  while (at + 9 < jpeg.length && jpeg[at] === 0xff) {
    const marker = jpeg[at + 1]!;
    const length = jpeg.readUInt16BE(at + 2);
    if (marker === 0xc0 || marker === 0xc2)
      return { height: jpeg.readUInt16BE(at + 5), width: jpeg.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return null;
}
