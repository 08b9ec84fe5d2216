import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../platform/tokenizer.ts';
import { renderObservation, type Block, type ElementInfo, type RawObservation, type Zone } from './observation.ts';

const qwen = loadTokenizer('qwen2_5');

/** A hand-made page: blocks in page order, each at a page y, each element described as the walk would. */
class PageBuilder {
  readonly blocks: Block[] = [];
  readonly elements: ElementInfo[] = [];
  groups: RawObservation['groups'] = [];
  private nextId = 1;
  private y = 0;

  text(text: string, zone: Zone, kind = 'text', group?: number): this {
    this.blocks.push({ kind, text, zone, y: (this.y += 40), ...(group === undefined ? {} : { group }) });
    return this;
  }

  element(role: string, name: string, zone: Zone, extra: Partial<ElementInfo> = {}, group?: number): number {
    const id = this.nextId++;
    this.y += 40;
    this.elements.push({
      id,
      role,
      tag: role === 'link' ? 'a' : role === 'button' ? 'button' : 'input',
      name,
      htmlName: role === 'textbox' ? `f${id}` : null,
      type: role === 'textbox' ? 'text' : null,
      value: null,
      href: role === 'link' ? `https://site.example/${name.toLowerCase().replace(/\W+/g, '-')}` : null,
      checked: null,
      selected: null,
      disabled: false,
      required: false,
      inForm: role === 'textbox',
      placeholder: null,
      expanded: null,
      box: { x: 10, y: this.y, width: 100, height: 20 },
      inViewport: this.y < 800,
      hidden: false,
      frameUrl: 'https://site.example/',
      options: null,
      min: null,
      max: null,
      ...extra,
    });
    this.blocks.push({ kind: 'element', id, zone, y: this.y, ...(group === undefined ? {} : { group }) });
    return id;
  }

  build(scrollY = 0, mainFound = true): RawObservation {
    return {
      blocks: this.blocks,
      elements: this.elements,
      groups: this.groups,
      mainFound,
      nextId: this.nextId,
      truncated: false,
      visited: 100,
      facts: {
        url: 'https://site.example/',
        title: 'A page',
        scrollY,
        viewportHeight: 800,
        viewportWidth: 1280,
        pageHeight: this.y + 100,
      },
    };
  }
}

const SENTENCE =
  'The committee met on Tuesday to weigh the proposal for a new bridge across the river, and agreed to publish its findings. ';

function article(): { page: PageBuilder; controls: number[] } {
  const page = new PageBuilder();
  page.groups = [{ label: 'Main menu', kind: 'navigation' }];
  for (let i = 0; i < 14; i += 1) page.element('link', `Section ${String.fromCharCode(65 + i)}`, 'nav', {}, 0);
  page.text('Opening hours and other notes from the side of the page. '.repeat(15), 'other');
  page.text('A headline about the bridge', 'main', 'h1');
  for (let i = 0; i < 6; i += 1) page.text(`Paragraph ${i + 1}. ${SENTENCE.repeat(4)}`, 'main');
  const controls = [page.element('textbox', 'Your email', 'other'), page.element('textbox', 'Your name', 'other')];
  page.text('Footer words: privacy, terms, cookies, contact, careers, press. '.repeat(15), 'other');
  return { page, controls };
}

describe('the observation within a budget of real tokens', () => {
  it('never goes over the budget by the real tokenizer, however small the budget', () => {
    const { page } = article();
    for (const budget of [120, 300, 600, 900, 1500, 4000]) {
      const observation = renderObservation(page.build(), budget, { tokenizer: qwen });
      expect(qwen.count(observation.text), `budget ${budget}`).toBeLessThanOrEqual(budget);
      expect(observation.tokens).toBe(qwen.count(observation.text));
    }
  });

  it('gives up the rest of the page, then navigation, before the main content, and form controls last', () => {
    const { page, controls } = article();
    const raw = page.build();
    const full = renderObservation(raw, 100_000, { tokenizer: qwen });
    expect(full.text).toContain('Opening hours and other notes');
    expect(full.text).toContain('Footer words');
    const cost = (needle: string) => qwen.count(full.text.split('\n').find((l) => l.includes(needle))!) + 1;
    const note = 90;
    // Room for all but the footer's prose: the footer goes (the farthest of the other parts), the rest stays.
    const noFooter = renderObservation(raw, full.tokens - cost('Footer words') + note, { tokenizer: qwen });
    expect(noFooter.text).not.toContain('Footer words');
    expect(noFooter.text).toContain('Opening hours and other notes');
    expect(noFooter.text).toContain('group "Main menu"');
    // Room for the main content, not for the other parts and the navigation: those go, in that order.
    const mainOnly = renderObservation(
      raw,
      full.tokens - cost('Footer words') - cost('Opening hours') - cost('group "Main menu"') + note,
      { tokenizer: qwen },
    );
    for (let i = 1; i <= 6; i += 1) expect(mainOnly.text).toContain(`Paragraph ${i}. ${SENTENCE.repeat(4).trim()}`);
    expect(mainOnly.text).not.toContain('Opening hours and other notes');
    expect(mainOnly.text).not.toContain('group "Main menu"');
    expect(mainOnly.text).toMatch(
      /\[omitted to fit the budget of \d+ tokens: 3 lines \(1 from the navigation, 2 from the other parts of the page\); scroll, open a group or act to see more\]/,
    );
    // Too small for the main content: it is shortened and cut, the controls stay.
    const tight = renderObservation(raw, 260, { tokenizer: qwen });
    expect(tight.elements.map((e) => e.id)).toEqual(expect.arrayContaining(controls));
    expect(tight.text).not.toContain('Paragraph 6');
    expect(tight.omitted.proseLines).toBeGreaterThan(0);
  });

  it('shows a long list of links as one group line until it is opened, and then lists every link', () => {
    const { page } = article();
    const raw = page.build();
    const collapsed = renderObservation(raw, 100_000, { tokenizer: qwen });
    expect(collapsed.groups).toEqual([raw.nextId]);
    expect(collapsed.text).toContain(
      `[${raw.nextId}] group "Main menu": 14 navigation links: Section A | Section B | Section C | Section D | Section E | Section F | … (click to list them)`,
    );
    expect(collapsed.text).not.toContain('link "Section G"');
    expect(collapsed.elements.filter((e) => e.role === 'link')).toEqual([]);
    const opened = renderObservation(raw, 100_000, { tokenizer: qwen, openGroups: new Set([raw.nextId]) });
    expect(opened.groups).toEqual([]);
    for (let i = 0; i < 14; i += 1)
      expect(opened.text).toContain(
        `link "Section ${String.fromCharCode(65 + i)}" → /section-${String.fromCharCode(97 + i)}`,
      );
    expect(opened.elements.filter((e) => e.role === 'link')).toHaveLength(14);
    // A one-step evaluation lists every group open: there is no next observation to open one in.
    const flat = renderObservation(raw, 100_000, { tokenizer: qwen, collapseGroups: false });
    expect(flat.groups).toEqual([]);
    expect(flat.elements.filter((e) => e.role === 'link')).toHaveLength(14);
  });

  it("keeps a pager's links out of a collapsed group, and shows a link repeated right after itself once", () => {
    const page = new PageBuilder();
    page.groups = [{ label: '', kind: 'list' }];
    const categories = [
      'Kettles and stovetop',
      'Teapots and infusers',
      'Mugs and beakers',
      'Cups and saucers',
      'Milk jugs and creamers',
      'Serving trays',
      'Measuring spoons',
      'Mixing bowls',
      'Dinner plates',
    ];
    for (const name of [...categories, '« Prev', '1', '2', '3', 'Next »']) page.element('link', name, 'other', {}, 0);
    const card = page.element('link', 'Blue Ceramic Mug', 'main');
    const again = page.element('link', 'Blue Ceramic Mug', 'main');
    const raw = page.build();
    const observation = renderObservation(raw, 100_000, { tokenizer: qwen });
    const shown = observation.elements.map((e) => e.name);
    expect(shown).toEqual(['« Prev', '1', '2', '3', 'Next »', 'Blue Ceramic Mug']);
    expect(observation.text).toContain(
      '14 links: Kettles and stovetop | Teapots and infusers | Mugs and beakers | Cups and saucers | Milk jugs and creamers | Serving trays | … (click to list them)',
    );
    expect(observation.elements.map((e) => e.id)).toContain(card);
    expect(observation.elements.map((e) => e.id)).not.toContain(again);
  });

  it('gives up what is farthest from the viewport first, so scrolling brings the rest into the observation', () => {
    const page = new PageBuilder();
    for (let i = 0; i < 40; i += 1) page.text(`Line ${i}: ${SENTENCE}`, 'main');
    const atTop = renderObservation(page.build(0), 500, { tokenizer: qwen });
    expect(atTop.text).toContain('Line 0:');
    expect(atTop.text).not.toContain('Line 39:');
    const scrolled = renderObservation(page.build(1200), 500, { tokenizer: qwen });
    // Lines 30 to 50 (page y 1200 to 2000) are in view.
    expect(scrolled.text).toContain('Line 35:');
    expect(scrolled.text).not.toContain('Line 0:');
  });
});
