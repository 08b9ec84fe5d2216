// Turns the in-page walk into the agent's observation: compact markdown with every interactive element
// numbered [N], long link lists collapsed into groups the agent can open, plus the structured element
// list and page facts, within a budget of real tokens that keeps form controls, then the main content,
// then navigation, then the rest.
import { loadTokenizer, type Tokenizer } from '../platform/index.ts';

export interface ElementInfo {
  id: number;
  role: string;
  tag: string;
  name: string;
  htmlName: string | null;
  type: string | null;
  value: string | null;
  href: string | null;
  checked: boolean | null;
  selected: boolean | null;
  disabled: boolean;
  required: boolean;
  /** Inside a <form>: its buttons count as form controls for the token budget. */
  inForm: boolean;
  placeholder: string | null;
  expanded: string | null;
  box: { x: number; y: number; width: number; height: number };
  inViewport: boolean;
  /** In a hidden part of the page (listed so the agent knows the form exists; acting needs it revealed). */
  hidden: boolean;
  frameUrl: string;
  options: Array<{ value: string; label: string; selected: boolean }> | null;
  optionCount?: number;
  min: string | null;
  max: string | null;
}

export interface PageFacts {
  url: string;
  title: string;
  scrollY: number;
  viewportHeight: number;
  viewportWidth: number;
  pageHeight: number;
}

/** Where a block sits: the page's main content, its navigation (landmarks, link lists) or the rest. */
export type Zone = 'main' | 'nav' | 'other';
export type Block = ({ kind: 'element'; id: number } | { kind: string; text: string }) & {
  zone?: Zone;
  group?: number;
  y?: number;
};

/** A long list of links (a menu, a footer's sitemap) the observation shows as one line until opened. */
export interface LinkGroup {
  label: string;
  /** The landmark's role or tag, or `list` for a list of links outside any landmark. */
  kind: string;
}

export interface RawObservation {
  blocks: Block[];
  elements: ElementInfo[];
  groups?: LinkGroup[];
  /** Whether the page's main content was found (else its non-navigation text all counts as content). */
  mainFound?: boolean;
  nextId: number;
  truncated: boolean;
  visited: number;
  facts: PageFacts;
}

export interface Observation {
  text: string;
  elements: ElementInfo[];
  facts: PageFacts;
  /** Tokens of `text` by the budget's tokenizer. */
  tokens: number;
  /** Link groups shown collapsed, by their [N]: clicking one lists its links in the next observation. */
  groups: number[];
  /** What the budget or the DOM cap removed, for the record. */
  omitted: { proseLines: number; elements: number; groups: number; domTruncated: boolean };
}

export interface RenderOptions {
  /** Counts the budget's tokens (default: the Qwen2.5 tokenizer). */
  tokenizer?: Tokenizer;
  /** Groups the agent opened (by their [N]): listed link by link. */
  openGroups?: ReadonlySet<number>;
  /** false lists every group open (a one-step evaluation, where no action can open one); default true. */
  collapseGroups?: boolean;
  /**
   * The [N] of the group whose first link is [firstLink]: a number no element has, kept while the page
   * lives (the session hands them out). By default numbered after the page's elements, for this render.
   */
  groupId?: (firstLink: number) => number;
}

const FORM_ROLES = new Set([
  'textbox',
  'searchbox',
  'combobox',
  'listbox',
  'checkbox',
  'radio',
  'switch',
  'slider',
  'spinbutton',
  'editable',
  'file',
  'option',
]);

function quote(text: string): string {
  return JSON.stringify(text);
}

function shortHref(href: string, pageUrl: string): string {
  try {
    const url = new URL(href, pageUrl);
    const page = new URL(pageUrl);
    const text = url.origin === page.origin ? `${url.pathname}${url.search}` : url.toString();
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  } catch {
    return href.slice(0, 80);
  }
}

export function formatElement(el: ElementInfo, pageUrl: string, withHref = true): string {
  const parts = [`[${el.id}]`, el.role];
  if (el.name) parts.push(quote(el.name));
  if (el.htmlName && FORM_ROLES.has(el.role)) parts.push(`name=${el.htmlName}`);
  if (el.type && !['text', 'submit', 'checkbox', 'radio', 'textarea'].includes(el.type)) parts.push(`type=${el.type}`);
  if (el.type === 'textarea') parts.push('multiline');
  if (el.placeholder && el.placeholder !== el.name) parts.push(`placeholder=${quote(el.placeholder)}`);
  if (el.value !== null && el.value !== '' && el.role !== 'link' && el.role !== 'button')
    parts.push(`value=${quote(el.value)}`);
  if (el.min !== null && (el.role === 'slider' || el.role === 'spinbutton')) parts.push(`min=${el.min}`);
  if (el.max !== null && (el.role === 'slider' || el.role === 'spinbutton')) parts.push(`max=${el.max}`);
  if (el.checked) parts.push('checked');
  if (el.selected) parts.push('selected');
  if (el.expanded !== null) parts.push(`expanded=${el.expanded}`);
  if (el.required) parts.push('required');
  if (el.disabled) parts.push('disabled');
  if (el.hidden) parts.push('hidden');
  if (withHref && el.href && el.role === 'link') parts.push(`→ ${shortHref(el.href, pageUrl)}`);
  if (el.options) {
    const shown = el.options.slice(0, 25).map((o) => (o.selected ? `*${o.label}*` : o.label));
    const more = (el.optionCount ?? el.options.length) - shown.length;
    parts.push(`options: ${shown.join(' | ')}${more > 0 ? ` | …(+${more} more)` : ''}`);
  }
  return parts.join(' ');
}

function formatBlock(block: { kind: string; text: string }): string {
  if (/^h[1-6]$/.test(block.kind)) return `${'#'.repeat(Number(block.kind[1]))} ${block.text}`;
  if (block.kind === 'li') return `- ${block.text}`;
  return block.text;
}

interface Line {
  text: string;
  element?: ElementInfo;
  /** 0 form controls, 1 main content, 2 navigation, 3 the rest: what the budget gives up last to first. */
  tier: number;
  heading: boolean;
  /** Page y of the line's top: lines far from the viewport are given up first. */
  y: number;
  /** A collapsed group's [N]. */
  group?: number;
}

const GROUP_SAMPLE = 6;
/** Tokens kept free for the closing note of what was left out. */
const NOTE_RESERVE = 60;
const SHORTEN_CAPS = [1200, 700, 400, 250, 160];
const TIER_NAMES = ['form controls', 'main content', 'navigation', 'other parts of the page'];

function groupLine(id: number, group: LinkGroup, links: ElementInfo[]): string {
  const names = links.map((l) => (l.name.length > 30 ? `${l.name.slice(0, 29)}…` : l.name) || '(unnamed)');
  const sample = names.slice(0, GROUP_SAMPLE).join(' | ');
  const what = group.kind === 'list' ? 'links' : `${group.kind} links`;
  return `[${id}] group${group.label ? ` ${quote(group.label)}` : ''}: ${links.length} ${what}: ${sample}${links.length > GROUP_SAMPLE ? ' | …' : ''} (click to list them)`;
}

/** The page as lines, each with the tier the budget ranks it by; collapsed groups as one line each. */
function pageLines(
  raw: RawObservation,
  openGroups: ReadonlySet<number>,
  groupId: (firstLink: number) => number,
  collapse: boolean,
): Line[] {
  const byId = new Map(raw.elements.map((e) => [e.id, e]));
  const url = raw.facts.url;
  const contentZone = (zone: Zone | undefined) => zone === 'main' || (!raw.mainFound && zone !== 'nav');
  // A group's [N] is asked for by its first link, whose id is stable while the page lives.
  const groupIds = new Map<number, number>();
  const groupLinks = new Map<number, ElementInfo[]>();
  for (const block of raw.blocks) {
    if (block.group === undefined || block.kind !== 'element') continue;
    const element = byId.get((block as { id: number }).id);
    if (!element || element.role !== 'link') continue;
    const links = groupLinks.get(block.group);
    if (links) links.push(element);
    else {
      groupLinks.set(block.group, [element]);
      groupIds.set(block.group, groupId(element.id));
    }
  }
  const pager = pagerLinks(raw.blocks, byId);
  const lines: Line[] = [];
  const emitted = new Set<number>();
  const recentLinks: string[] = [];
  let lastY = 0;
  for (const block of raw.blocks) {
    const element = block.kind === 'element' ? byId.get((block as { id: number }).id) : undefined;
    if (element?.role === 'link' && element.href) {
      // The same link again right after itself (a card's image and its title) adds nothing to act on.
      const key = `${element.href}\n${element.name}`;
      if (recentLinks.includes(key) && !pager.has(element.id)) continue;
      recentLinks.push(key);
      if (recentLinks.length > 3) recentLinks.shift();
    }
    const formControl = element !== undefined && (isFormControl(element) || pager.has(element.id));
    const collapsedAs = block.group === undefined ? undefined : groupIds.get(block.group);
    if (collapse && collapsedAs !== undefined && !formControl && !openGroups.has(collapsedAs)) {
      if (!emitted.has(block.group!)) {
        emitted.add(block.group!);
        lines.push({
          text: groupLine(
            collapsedAs,
            raw.groups?.[block.group!] ?? { label: '', kind: 'list' },
            groupLinks.get(block.group!)!,
          ),
          tier: 2,
          heading: false,
          y: element?.box.y ?? lastY,
          group: collapsedAs,
        });
      }
      continue;
    }
    const tier = formControl
      ? 0
      : collapsedAs !== undefined || block.zone === 'nav'
        ? 2
        : contentZone(block.zone)
          ? 1
          : 3;
    if (block.kind === 'element') {
      if (element)
        lines.push({ text: formatElement(element, url), element, tier, heading: false, y: (lastY = element.box.y) });
    } else {
      const text = formatBlock(block as { kind: string; text: string });
      // The page's title heading belongs with its content wherever the page put it.
      if (text)
        lines.push({
          text,
          tier: block.kind === 'h1' ? Math.min(tier, 1) : tier,
          heading: /^h[1-6]$/.test(block.kind),
          y: (lastY = block.y ?? lastY),
        });
    }
  }
  return lines;
}

const PAGE_NUMBER = /^\d{1,5}$/;
const PAGER_NEIGHBOURS = 1;

/**
 * A pager's links (a run of links, two or more of them page numbers, with their short neighbours such
 * as Next and Last): kept like form controls and never collapsed, since they are how a listing goes on.
 */
function pagerLinks(blocks: Block[], byId: Map<number, ElementInfo>): Set<number> {
  const pager = new Set<number>();
  let run: ElementInfo[] = [];
  const close = () => {
    const numbers = run.flatMap((l, i) => (PAGE_NUMBER.test(l.name) ? [i] : []));
    if (numbers.length >= 2) {
      for (
        let i = Math.max(0, numbers[0]! - PAGER_NEIGHBOURS);
        i <= Math.min(run.length - 1, numbers.at(-1)! + PAGER_NEIGHBOURS);
        i += 1
      ) {
        if (run[i]!.name.length <= 15) pager.add(run[i]!.id);
      }
    }
    run = [];
  };
  for (const block of blocks) {
    const element = block.kind === 'element' ? byId.get((block as { id: number }).id) : undefined;
    if (element?.role === 'link') run.push(element);
    // The current page's number, "…" and separators sit between a pager's links; prose ends the run.
    else if (element || (block as { text: string }).text.length > 20) close();
  }
  close();
  return pager;
}

function isFormControl(e: ElementInfo): boolean {
  return FORM_ROLES.has(e.role) || (e.inForm && e.role === 'button');
}

/**
 * Renders the page within maxTokens real tokens. When the page does not fit, it gives up, in order:
 * the other parts of the page, then navigation (prose, then links, bottom up), then main content
 * (long prose shortened, then prose dropped bottom up with headings last, then links), and form controls
 * last. What was left out is stated, so the agent knows to scroll, open a group or act.
 */
export function renderObservation(raw: RawObservation, maxTokens: number, options: RenderOptions = {}): Observation {
  const tokenizer = options.tokenizer ?? loadTokenizer();
  const facts = raw.facts;
  const header = `# ${facts.title || '(untitled)'}\nURL: ${facts.url}\nScroll: ${facts.scrollY}px of ${facts.pageHeight}px (viewport ${facts.viewportHeight}px)`;
  let nextGroupId = raw.nextId;
  const ownIds = new Map<number, number>();
  const groupId =
    options.groupId ??
    ((firstLink: number) => ownIds.get(firstLink) ?? (ownIds.set(firstLink, nextGroupId), nextGroupId++));
  const lines = pageLines(raw, options.openGroups ?? new Set(), groupId, options.collapseGroups ?? true);
  if (raw.truncated)
    lines.push({ text: `[page truncated: more than ${raw.visited - 1} DOM nodes]`, tier: 0, heading: false, y: 0 });
  const finish = (kept: Line[], text: string, tokens: number, omitted: Observation['omitted']): Observation => {
    const shownIds = new Set(kept.filter((l) => l.element).map((l) => l.element!.id));
    const groups = kept.flatMap((l) => (l.group === undefined ? [] : [l.group]));
    return { text, elements: raw.elements.filter((e) => shownIds.has(e.id)), facts, tokens, groups, omitted };
  };
  // Most pages fit whole: one count of the text decides, and no line need be counted alone.
  const whole = `${header}\n\n${lines.map((l) => l.text).join('\n')}`;
  const wholeTokens = tokenizer.count(whole);
  if (wholeTokens <= maxTokens)
    return finish(lines, whole, wholeTokens, { proseLines: 0, elements: 0, groups: 0, domTruncated: raw.truncated });

  // Lines are given up farthest from the viewport first (bottom up on a page not scrolled), so
  // scrolling brings what the budget left out into the observation.
  const top = facts.scrollY;
  const bottom = facts.scrollY + facts.viewportHeight;
  const distance = (y: number) => (y < top ? top - y : y > bottom ? y - bottom : 0);
  const farthestFirst = lines.map((_l, i) => i).sort((a, b) => distance(lines[b]!.y) - distance(lines[a]!.y) || b - a);
  const counts = new Map<string, number>();
  const count = (text: string) => {
    let n = counts.get(text);
    if (n === undefined) counts.set(text, (n = tokenizer.count(text)));
    return n;
  };
  const shown = lines.map((l) => l.text);
  const dropped = new Set<number>();
  const lineCost = (i: number) => count(shown[i]!) + 1;
  let total = lines.reduce((sum, _l, i) => sum + lineCost(i), count(header) + 2);
  const fits = (reserve: number) => total + (dropped.size > 0 || reserve > 0 ? NOTE_RESERVE : 0) + reserve <= maxTokens;
  const drop = (i: number) => {
    dropped.add(i);
    total -= lineCost(i);
  };
  /** Shows line i as `text` instead (a link without its address, prose shortened). */
  const rewrite = (i: number, text: string) => {
    total -= lineCost(i);
    shown[i] = text;
    total += lineCost(i);
  };

  /** Gives up lines until the page fits with `reserve` tokens to spare. */
  const reduce = (reserve: number) => {
    const giveUp = (pick: (l: Line, i: number) => boolean) => {
      for (const i of farthestFirst) {
        if (fits(reserve)) return;
        if (!dropped.has(i) && pick(lines[i]!, i)) drop(i);
      }
    };
    // A link's target is the cheapest thing to give up: the agent acts on the id, not the address.
    const dropTargets = (tiers: number[]) =>
      lines.forEach((l, i) => {
        if (!fits(reserve) && l.element?.href && tiers.includes(l.tier) && !dropped.has(i))
          rewrite(i, formatElement(l.element, facts.url, false));
      });
    dropTargets([3, 2]);
    for (const tier of [3, 2]) {
      giveUp((l) => l.tier === tier && !l.element && !l.heading);
      giveUp((l) => l.tier === tier && !l.element);
      giveUp((l) => l.tier === tier);
    }
    dropTargets([1, 0]);
    for (const cap of SHORTEN_CAPS) {
      if (fits(reserve)) break;
      lines.forEach((l, i) => {
        if (l.tier === 1 && !l.element && !dropped.has(i) && shown[i]!.length > cap)
          rewrite(i, `${shown[i]!.slice(0, cap - 1)}…`);
      });
    }
    giveUp((l) => l.tier === 1 && !l.element && !l.heading);
    giveUp((l) => l.tier === 1 && !l.element);
    giveUp((l) => l.tier === 1);
    giveUp(() => true);
  };

  const assemble = () => {
    const kept = lines.filter((_l, i) => !dropped.has(i));
    const omittedLines = lines.filter((_l, i) => dropped.has(i));
    const omitted = {
      proseLines: omittedLines.filter((l) => !l.element && l.group === undefined).length,
      elements: omittedLines.filter((l) => l.element).length,
      groups: omittedLines.filter((l) => l.group !== undefined).length,
      domTruncated: raw.truncated,
    };
    const byTier = [0, 1, 2, 3].map((tier) => omittedLines.filter((l) => l.tier === tier).length);
    const what = byTier
      .map((n, tier) => (n ? `${n} from the ${TIER_NAMES[tier]}` : ''))
      .filter(Boolean)
      .join(', ');
    const body = lines
      .map((_l, i) => (dropped.has(i) ? null : shown[i]!))
      .filter((t) => t !== null)
      .join('\n');
    const text = `${header}\n\n${body}${what ? `\n\n[omitted to fit the budget of ${maxTokens} tokens: ${omittedLines.length} lines (${what}); scroll, open a group or act to see more]` : ''}`;
    return { kept, omitted, text };
  };

  reduce(0);
  let result = assemble();
  let tokens = tokenizer.count(result.text);
  // Tokens merge differently across line breaks than within lines: if the whole came out over, give up more.
  for (let reserve = tokens - maxTokens; tokens > maxTokens; reserve += tokens - maxTokens + 8) {
    reduce(reserve);
    result = assemble();
    tokens = tokenizer.count(result.text);
    if (dropped.size === lines.length && tokens > maxTokens) break;
  }
  return finish(result.kept, result.text, tokens, result.omitted);
}
