// Turns the in-page walk into the agent's observation: compact markdown with every interactive element
// numbered [N], plus the structured element list and page facts. A token budget shortens prose first,
// then drops links, and drops form controls last.
import { estimateTokens } from '../platform/tokens.ts';

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

export type Block = { kind: 'element'; id: number } | { kind: string; text: string };

export interface RawObservation {
  blocks: Block[];
  elements: ElementInfo[];
  nextId: number;
  truncated: boolean;
  visited: number;
  facts: PageFacts;
}

export interface Observation {
  text: string;
  elements: ElementInfo[];
  facts: PageFacts;
  tokens: number;
  /** What the budget or the DOM cap removed, for the record. */
  omitted: { proseLines: number; elements: number; domTruncated: boolean };
}

const FORM_ROLES = new Set(['textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'switch', 'slider', 'spinbutton', 'editable', 'file', 'option']);

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

export function formatElement(el: ElementInfo, pageUrl: string): string {
  const parts = [`[${el.id}]`, el.role];
  if (el.name) parts.push(quote(el.name));
  if (el.htmlName && FORM_ROLES.has(el.role)) parts.push(`name=${el.htmlName}`);
  if (el.type && !['text', 'submit', 'checkbox', 'radio', 'textarea'].includes(el.type)) parts.push(`type=${el.type}`);
  if (el.type === 'textarea') parts.push('multiline');
  if (el.placeholder && el.placeholder !== el.name) parts.push(`placeholder=${quote(el.placeholder)}`);
  if (el.value !== null && el.value !== '' && el.role !== 'link' && el.role !== 'button') parts.push(`value=${quote(el.value)}`);
  if (el.min !== null && (el.role === 'slider' || el.role === 'spinbutton')) parts.push(`min=${el.min}`);
  if (el.max !== null && (el.role === 'slider' || el.role === 'spinbutton')) parts.push(`max=${el.max}`);
  if (el.checked) parts.push('checked');
  if (el.selected) parts.push('selected');
  if (el.expanded !== null) parts.push(`expanded=${el.expanded}`);
  if (el.required) parts.push('required');
  if (el.disabled) parts.push('disabled');
  if (el.hidden) parts.push('hidden');
  if (el.href && el.role === 'link') parts.push(`→ ${shortHref(el.href, pageUrl)}`);
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
}

export function renderObservation(raw: RawObservation, maxTokens: number): Observation {
  const byId = new Map(raw.elements.map((e) => [e.id, e]));
  const facts = raw.facts;
  const header = `# ${facts.title || '(untitled)'}\nURL: ${facts.url}\nScroll: ${facts.scrollY}px of ${facts.pageHeight}px (viewport ${facts.viewportHeight}px)`;
  const lines: Line[] = [];
  for (const block of raw.blocks) {
    if (block.kind === 'element') {
      const element = byId.get((block as { id: number }).id);
      if (element) lines.push({ text: formatElement(element, facts.url), element });
    } else {
      const text = formatBlock(block as { kind: string; text: string });
      if (text) lines.push({ text });
    }
  }
  if (raw.truncated) lines.push({ text: `[page truncated: more than ${raw.visited - 1} DOM nodes]` });

  const omitted = { proseLines: 0, elements: 0, domTruncated: raw.truncated };
  const cost = (ls: Line[]) => ls.reduce((sum, l) => sum + estimateTokens(l.text) + 1, estimateTokens(header));
  let kept = lines;
  // 1. Long prose lines are shortened, only as far as needed.
  for (const cap of [1200, 700, 400, 250, 160]) {
    if (cost(kept) <= maxTokens) break;
    kept = kept.map((l) => (l.element || l.text.length <= cap ? l : { text: `${l.text.slice(0, cap - 1)}…` }));
  }
  if (cost(kept) > maxTokens) {
    // 2. Prose is dropped from the bottom of the page up, keeping headings longest.
    const elementCost = cost(kept.filter((l) => l.element));
    let room = maxTokens - elementCost;
    const keepProse = new Set<Line>();
    const prose = kept.filter((l) => !l.element);
    const ordered = [...prose.filter((l) => l.text.startsWith('#')), ...prose.filter((l) => !l.text.startsWith('#'))];
    for (const l of ordered) {
      const c = estimateTokens(l.text) + 1;
      if (c <= room) {
        keepProse.add(l);
        room -= c;
      }
    }
    omitted.proseLines = prose.length - keepProse.size;
    kept = kept.filter((l) => l.element || keepProse.has(l));
  }
  if (cost(kept) > maxTokens) {
    // 3. Links and buttons go before form controls (a form's own buttons included), from the bottom up.
    const isFormControl = (e: ElementInfo) => FORM_ROLES.has(e.role) || (e.inForm && e.role === 'button');
    const dropOrder = [...kept.filter((l) => l.element && !isFormControl(l.element)).reverse(), ...kept.filter((l) => l.element && isFormControl(l.element)).reverse()];
    const dropped = new Set<Line>();
    let total = cost(kept);
    for (const l of dropOrder) {
      if (total <= maxTokens) break;
      dropped.add(l);
      total -= estimateTokens(l.text) + 1;
    }
    omitted.elements = dropped.size;
    kept = kept.filter((l) => !dropped.has(l));
  }
  const notes: string[] = [];
  if (omitted.proseLines) notes.push(`${omitted.proseLines} lines of text`);
  if (omitted.elements) notes.push(`${omitted.elements} elements`);
  const body = kept.map((l) => l.text).join('\n');
  const text = `${header}\n\n${body}${notes.length ? `\n\n[omitted to fit the budget: ${notes.join(', ')}; scroll or act to see more]` : ''}`;
  const shown = new Set(kept.filter((l) => l.element).map((l) => l.element!.id));
  return { text, elements: raw.elements.filter((e) => shown.has(e.id)), facts, tokens: estimateTokens(text), omitted };
}
