// Runs inside the page (evaluated as source, never transpiled). Walks the whole DOM — below the fold,
// same-origin iframes, open shadow roots — and returns ordered blocks of text and interactive elements.
// Interactive elements get an id that stays while the element lives, so the agent's [N] keeps meaning
// the same element across observations. The id map lives in this script's world (the session runs it in
// an isolated world, out of page scripts' reach), so a page can neither plant nor move an id; the
// data-wt-id attribute is written for tools to read and is never trusted.
// eslint-disable-next-line @typescript-eslint/no-unused-expressions -- the file is one expression, evaluated for its value
(options) => {
  const ATTR = 'data-wt-id';
  const registry = (globalThis.__webtrailIds ||= { byElement: new WeakMap(), byId: new Map() });
  const maxNodes = options.maxNodes;
  let nextId = options.nextId;
  let visited = 0;
  let truncated = false;
  const blocks = [];
  const elements = [];
  // Where each block sits, for the token budget: the page's main content, its navigation (landmarks
  // and long lists of links, which are collapsed into groups), or the rest.
  const groups = [];
  let mainDepth = 0;
  let navDepth = 0;
  const newCounts = () => ({ links: 0, chars: 0, linkChars: 0, controls: 0, landmarks: 0 });
  // What each open block container holds so far (links, text, controls, landmarks): the walk's stack.
  const stats = [newCounts()];
  const GROUP_MIN_LINKS = 10;
  const GROUP_MIN_LINK_SHARE = 0.7;

  const WIDGET_ROLES = new Set([
    'button',
    'link',
    'checkbox',
    'radio',
    'switch',
    'tab',
    'menuitem',
    'menuitemcheckbox',
    'menuitemradio',
    'option',
    'combobox',
    'listbox',
    'textbox',
    'searchbox',
    'slider',
    'spinbutton',
    'treeitem',
    'gridcell',
  ]);
  const BLOCK_TAGS = new Set([
    'ADDRESS',
    'ARTICLE',
    'ASIDE',
    'BLOCKQUOTE',
    'BODY',
    'DD',
    'DIALOG',
    'DIV',
    'DL',
    'DT',
    'FIELDSET',
    'FIGCAPTION',
    'FIGURE',
    'FOOTER',
    'FORM',
    'H1',
    'H2',
    'H3',
    'H4',
    'H5',
    'H6',
    'HEADER',
    'HR',
    'LI',
    'MAIN',
    'NAV',
    'OL',
    'P',
    'PRE',
    'SECTION',
    'TABLE',
    'TBODY',
    'THEAD',
    'TFOOT',
    'TR',
    'UL',
    'BR',
    'CAPTION',
    'LEGEND',
    'DETAILS',
    'SUMMARY',
  ]);
  // NOSCRIPT is walked like any element: with scripts on, Chromium hides it and holds its content as text
  // (so it shows nothing); with scripts off (a saved page whose scripts cannot run), it is the page.
  const SKIP_TAGS = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'HEAD', 'META', 'LINK', 'SVG', 'CANVAS', 'IFRAME_SKIP']);

  const HIDDEN_CONTROLS = 'input:not([type=hidden]),select,textarea,button[name]';
  const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

  let line = '';
  let lineKind = 'text';
  // Where the text being gathered sits on the page (its block's top), so the budget can keep what is
  // near the viewport.
  let lineY = 0;
  const zone = () => (navDepth > 0 ? 'nav' : mainDepth > 0 ? 'main' : 'other');
  const flush = () => {
    const text = squash(line);
    if (text) {
      blocks.push({ kind: lineKind, text, zone: zone(), y: lineY });
      stats[stats.length - 1].chars += text.length;
    }
    line = '';
    lineKind = 'text';
  };

  function hidden(el, style) {
    if (el.hidden && !(el.tagName === 'INPUT' && el.type !== 'hidden')) return true;
    if (style.display === 'none' || style.visibility === 'hidden' || style.visibility === 'collapse') return true;
    if (el.getAttribute('aria-hidden') === 'true' && !el.matches('input,select,textarea,button,a[href]')) return true;
    return false;
  }

  function labelText(el) {
    const doc = el.ownerDocument;
    const labelledby = el.getAttribute('aria-labelledby');
    if (labelledby) {
      const text = labelledby
        .split(/\s+/)
        .map((id) => doc.getElementById(id))
        .filter(Boolean)
        .map((n) => n.textContent)
        .join(' ');
      if (squash(text)) return squash(text);
    }
    const aria = el.getAttribute('aria-label');
    if (squash(aria)) return squash(aria);
    if (el.id) {
      try {
        const label = doc.querySelector(`label[for="${CSS.escape(el.id)}"]`);
        if (label && squash(label.textContent)) return squash(label.textContent);
      } catch (_) {
        /* odd id */
      }
    }
    const wrapping = el.closest('label');
    if (wrapping) {
      const clone = wrapping.cloneNode(true);
      clone.querySelectorAll('select,textarea,option').forEach((n) => n.remove());
      if (squash(clone.textContent)) return squash(clone.textContent);
    }
    return '';
  }

  function accessibleName(el, tag, type) {
    const label = labelText(el);
    if (label) return label;
    if (tag === 'INPUT' && ['submit', 'button', 'reset'].includes(type))
      return squash(el.value) || (type === 'submit' ? 'Submit' : type);
    if (tag === 'INPUT' && type === 'image') return squash(el.alt) || 'Submit';
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(tag))
      return squash(el.getAttribute('placeholder')) || squash(el.title) || '';
    const text = squash(el.innerText || el.textContent);
    if (text) return clip(text, 120);
    const img = el.querySelector && el.querySelector('img[alt],[aria-label],svg title');
    if (img) return squash(img.getAttribute('alt') || img.getAttribute('aria-label') || img.textContent);
    return squash(el.title);
  }

  function interactiveKind(el, tag, style) {
    const role = (el.getAttribute('role') || '').toLowerCase();
    if (tag === 'A' && el.hasAttribute('href')) return role && WIDGET_ROLES.has(role) ? role : 'link';
    if (tag === 'BUTTON') return role && WIDGET_ROLES.has(role) ? role : 'button';
    if (tag === 'INPUT') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (type === 'hidden') return null;
      if (['submit', 'button', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox') return role === 'switch' ? 'switch' : 'checkbox';
      if (type === 'radio') return 'radio';
      if (type === 'range') return 'slider';
      if (type === 'number') return 'spinbutton';
      if (type === 'search') return role === 'combobox' ? 'combobox' : 'searchbox';
      if (
        ['combobox', 'searchbox', 'spinbutton', 'slider'].includes(role) &&
        !['date', 'datetime-local', 'month', 'time', 'week', 'color', 'file'].includes(type)
      )
        return role;
      if (['date', 'datetime-local', 'month', 'time', 'week', 'color', 'file'].includes(type))
        return type === 'file' ? 'file' : 'textbox';
      return 'textbox';
    }
    if (tag === 'SELECT') return el.multiple ? 'listbox' : 'combobox';
    if (tag === 'TEXTAREA') return 'textbox';
    if (tag === 'SUMMARY') return 'button';
    if (role && WIDGET_ROLES.has(role)) return role;
    if (
      el.isContentEditable &&
      el.getAttribute('contenteditable') !== null &&
      !(el.parentElement && el.parentElement.isContentEditable)
    )
      return 'editable';
    if (el.hasAttribute('onclick') || (el.tabIndex >= 0 && el.hasAttribute('tabindex') && style.cursor === 'pointer'))
      return 'button';
    return null;
  }

  function describe(el, tag, kind, frameUrl, offsetX, offsetY, isHidden) {
    let id = registry.byElement.get(el);
    if (!id) {
      id = nextId++;
      registry.byElement.set(el, id);
      registry.byId.set(id, new WeakRef(el));
      el.setAttribute(ATTR, String(id));
    }
    const type =
      tag === 'INPUT' ? (el.getAttribute('type') || 'text').toLowerCase() : tag === 'TEXTAREA' ? 'textarea' : null;
    const rect = el.getBoundingClientRect();
    const win = el.ownerDocument.defaultView;
    const top = win === window ? window : window;
    const box = {
      x: Math.round(rect.x + offsetX),
      y: Math.round(rect.y + offsetY + top.scrollY),
      width: Math.round(rect.width),
      height: Math.round(rect.height),
    };
    const inViewport =
      rect.width > 0 &&
      rect.height > 0 &&
      rect.y + offsetY < top.innerHeight &&
      rect.y + offsetY + rect.height > 0 &&
      rect.x + offsetX < top.innerWidth &&
      rect.x + offsetX + rect.width > 0;
    const info = {
      id,
      role: kind,
      tag: tag.toLowerCase(),
      name: clip(accessibleName(el, tag, type || ''), 150),
      htmlName: el.getAttribute('name'),
      type,
      value: null,
      href: null,
      checked: null,
      selected: null,
      disabled: Boolean(el.disabled || el.getAttribute('aria-disabled') === 'true'),
      required: Boolean(el.required || el.getAttribute('aria-required') === 'true'),
      inForm: Boolean(el.form || el.closest('form')),
      placeholder: el.getAttribute('placeholder'),
      expanded: el.getAttribute('aria-expanded'),
      box,
      inViewport: inViewport && !isHidden,
      hidden: Boolean(isHidden),
      frameUrl,
      options: null,
      min: el.getAttribute('min') || el.getAttribute('aria-valuemin'),
      max: el.getAttribute('max') || el.getAttribute('aria-valuemax'),
    };
    if (tag === 'A') info.href = el.href || el.getAttribute('href');
    if (tag === 'INPUT' || tag === 'TEXTAREA') {
      if (type === 'checkbox' || type === 'radio') info.checked = el.checked;
      else if (type !== 'password' && type !== 'file') info.value = clip(String(el.value || ''), 200);
      else if (type === 'password') info.value = el.value ? '••••' : '';
    } else if (tag === 'SELECT') {
      const opts = Array.from(el.options);
      info.options = opts
        .slice(0, 200)
        .map((o) => ({ value: o.value, label: squash(o.label || o.textContent), selected: o.selected }));
      info.value = opts
        .filter((o) => o.selected)
        .map((o) => squash(o.label || o.textContent))
        .join(', ');
      info.optionCount = opts.length;
    } else if (kind === 'editable') {
      info.value = clip(squash(el.innerText), 200);
    } else {
      const ariaChecked = el.getAttribute('aria-checked');
      if (ariaChecked !== null) info.checked = ariaChecked === 'true';
      const ariaSelected = el.getAttribute('aria-selected');
      if (ariaSelected !== null) info.selected = ariaSelected === 'true';
      const valueNow = el.getAttribute('aria-valuenow');
      if (valueNow !== null) info.value = valueNow;
      if (kind === 'combobox' || kind === 'textbox' || kind === 'searchbox') {
        const v = el.getAttribute('aria-valuetext') || ('value' in el ? el.value : null) || squash(el.textContent);
        if (v) info.value = clip(String(v), 200);
      }
    }
    elements.push(info);
    return info;
  }

  const LANDMARK_WORDS = {
    nav: 'navigation',
    navigation: 'navigation',
    header: 'header',
    banner: 'header',
    footer: 'footer',
    contentinfo: 'footer',
    aside: 'sidebar',
    complementary: 'sidebar',
    menu: 'menu',
    menubar: 'menu',
    tree: 'tree',
  };
  const SECTIONING = 'article,aside,main,nav,section,[role=main],[role=article]';
  /** A navigation landmark (ARIA's rules: a header or footer is one only outside sectioning content). */
  function isNavLandmark(el, tag) {
    const role = (el.getAttribute('role') || '').toLowerCase();
    if (['navigation', 'banner', 'contentinfo', 'complementary', 'menubar', 'menu', 'tree'].includes(role)) return true;
    if (role) return false;
    if (tag === 'NAV' || tag === 'MENU') return true;
    if (tag === 'ASIDE') return !el.parentElement || !el.parentElement.closest('main,[role=main],article');
    if (tag === 'HEADER' || tag === 'FOOTER') return !el.parentElement || !el.parentElement.closest(SECTIONING);
    return false;
  }

  /**
   * The page's main content: its one <main> landmark when it holds real text, else the element the
   * page's prose concentrates in (each paragraph scores its parent fully and its grandparent half,
   * discounted by how much of the candidate's text is link text), as readability tools find articles.
   */
  function findMain(root) {
    if (!root || !root.querySelectorAll) return null;
    const textOf = (el) => (el.textContent || '').replace(/\s+/g, ' ').trim().length;
    const landmarks = Array.from(root.querySelectorAll('main,[role=main]')).filter(
      (el) => !el.hidden && textOf(el) > 200,
    );
    if (landmarks.length === 1) return landmarks[0];
    const scores = new Map();
    for (const para of root.querySelectorAll('p,pre,blockquote,td,dd,li,h2,h3,div,span')) {
      if (
        para.closest('nav,header,footer,aside,form,[role=navigation],[role=banner],[role=contentinfo]') &&
        !para.closest('article,main,[role=main]')
      )
        continue;
      let own = 0;
      for (const child of para.childNodes)
        if (child.nodeType === 3) own += child.nodeValue.replace(/\s+/g, ' ').trim().length;
      if (own < 40) continue;
      const score = 1 + (para.textContent.match(/[,;.]/g) || []).length / 4 + Math.min(3, own / 100);
      const parent = para.parentElement;
      const grand = parent && parent.parentElement;
      if (parent) scores.set(parent, (scores.get(parent) || 0) + score);
      if (grand) scores.set(grand, (scores.get(grand) || 0) + score / 2);
    }
    let best = null;
    let bestScore = 0;
    // Highest raw score first: the link discount only lowers a score, so once a raw score is no better
    // than the best discounted one, no later candidate can win (and its subtree need not be read).
    for (const [el, score] of [...scores].sort((a, b) => b[1] - a[1])) {
      if (score <= bestScore) break;
      if (el === root || el.tagName === 'BODY' || el.tagName === 'HTML') continue;
      const total = textOf(el) || 1;
      let linkChars = 0;
      for (const a of el.querySelectorAll('a[href]'))
        linkChars += (a.textContent || '').replace(/\s+/g, ' ').trim().length;
      const weighted = score * (1 - Math.min(1, linkChars / total));
      if (weighted > bestScore) {
        best = el;
        bestScore = weighted;
      }
    }
    if (!best || bestScore < 5) return landmarks.find((el) => !best || el.contains(best)) || null;
    // A <main> or <article> around the prose is the content it belongs to (its title, byline, figures).
    const wider = best.closest('main,[role=main],article');
    return wider && wider.tagName !== 'BODY' ? wider : best;
  }
  const mainElement = findMain(document.body);

  /** Ends a container's count; a long run of links with little other text becomes a group. */
  function closeContainer(el, tag, startBlock, landmark) {
    const own = stats.pop();
    const parent = stats[stats.length - 1];
    parent.links += own.links;
    parent.chars += own.chars;
    parent.linkChars += own.linkChars;
    parent.controls += own.controls;
    parent.landmarks += own.landmarks + (landmark ? 1 : 0);
    // A group never spans the main content, two landmarks, or form controls, and is never the page.
    if (own.links < GROUP_MIN_LINKS || own.linkChars < GROUP_MIN_LINK_SHARE * own.chars) return;
    if (
      tag === 'BODY' ||
      own.controls > 0 ||
      own.landmarks > 1 ||
      (mainElement && (el.contains(mainElement) || (mainDepth > 0 && !landmark && navDepth === 0)))
    )
      return;
    const label =
      squash(el.getAttribute('aria-label')) ||
      (() => {
        const heading = el.querySelector('h1,h2,h3,h4,h5,h6');
        return heading ? clip(squash(heading.textContent), 60) : '';
      })();
    const group = groups.length;
    groups.push({
      label,
      kind: landmark ? LANDMARK_WORDS[(el.getAttribute('role') || tag).toLowerCase()] || 'navigation' : 'list',
    });
    for (let i = startBlock; i < blocks.length; i += 1) blocks[i].group = group;
  }

  function walk(node, frameUrl, offsetX, offsetY) {
    // A document between navigations (a popup's, a frame's) can have no body, or no root at all.
    if (truncated || !node) return;
    if (node.nodeType === 3) {
      line += node.nodeValue;
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 11) return;
    if (++visited > maxNodes) {
      truncated = true;
      return;
    }
    if (node.nodeType === 11) {
      for (const child of node.childNodes) walk(child, frameUrl, offsetX, offsetY);
      return;
    }
    const el = node;
    const tag = el.tagName;
    if (SKIP_TAGS.has(tag)) return;
    const style = el.ownerDocument.defaultView.getComputedStyle(el);
    if (hidden(el, style)) {
      // Form controls inside hidden parts (a login modal, a section opened by a checkbox) are listed,
      // marked hidden, so the agent knows the form is there and what reveals it.
      const controls = el.matches(HIDDEN_CONTROLS) ? [el] : Array.from(el.querySelectorAll(HIDDEN_CONTROLS));
      if (controls.length) flush();
      for (const control of controls.slice(0, 200)) {
        const kind = interactiveKind(control, control.tagName, style);
        if (!kind) continue;
        const info = describe(control, control.tagName, kind, frameUrl, offsetX, offsetY, true);
        blocks.push({ kind: 'element', id: info.id, zone: zone() });
        stats[stats.length - 1].controls += 1;
      }
      return;
    }

    if (tag === 'IFRAME' || tag === 'FRAME') {
      let doc;
      try {
        doc = el.contentDocument;
      } catch (_) {
        doc = null;
      }
      flush();
      if (doc && doc.body) {
        const rect = el.getBoundingClientRect();
        blocks.push({
          kind: 'frame',
          text: `[frame ${squash(el.title || el.name || '') || doc.title || ''}]`.replace(' ]', ']'),
        });
        walk(doc.body, doc.location.href, offsetX + rect.x, offsetY + rect.y);
        flush();
        blocks.push({ kind: 'frame', text: '[/frame]' });
      } else if (el.src) {
        blocks.push({ kind: 'frame', text: `[frame from another origin: ${clip(el.src, 80)}]` });
      }
      return;
    }

    const kind = interactiveKind(el, tag, style);
    if (kind) {
      flush();
      const info = describe(el, tag, kind, frameUrl, offsetX, offsetY);
      blocks.push({ kind: 'element', id: info.id, zone: zone() });
      const counts = stats[stats.length - 1];
      if (kind === 'link') {
        counts.links += 1;
        counts.linkChars += info.name.length;
        counts.chars += info.name.length;
      } else if (kind !== 'button' || info.inForm) counts.controls += 1;
      // Widgets that contain other widgets (a listbox of options, a row of buttons, a form control a
      // page put inside a link) are walked too.
      const nested =
        el.querySelector &&
        el.querySelector(
          kind === 'link'
            ? 'button,input:not([type=hidden]),select,textarea'
            : 'a[href],button,input,select,textarea,[role]',
        );
      if (['listbox', 'menu', 'tablist', 'gridcell', 'treeitem'].includes(kind) || nested) {
        if (tag !== 'SELECT') {
          for (const child of el.childNodes) walk(child, frameUrl, offsetX, offsetY);
          if (el.shadowRoot) walk(el.shadowRoot, frameUrl, offsetX, offsetY);
          flush();
        }
      }
      return;
    }

    const block =
      BLOCK_TAGS.has(tag) ||
      style.display === 'block' ||
      style.display === 'flex' ||
      style.display === 'grid' ||
      style.display === 'list-item' ||
      style.display === 'table-row';
    if (block) {
      flush();
      lineY = Math.round(el.getBoundingClientRect().top + offsetY + window.scrollY);
    }
    const landmark = isNavLandmark(el, tag);
    const isMain = el === mainElement;
    if (landmark) navDepth += 1;
    if (isMain) mainDepth += 1;
    const startBlock = blocks.length;
    if (block) stats.push(newCounts());
    if (/^H[1-6]$/.test(tag)) lineKind = `h${tag[1]}`;
    else if (tag === 'LI') lineKind = 'li';
    else if (tag === 'TR') lineKind = 'row';
    if (tag === 'TD' || tag === 'TH') line += ' | ';
    if (tag === 'IMG' && el.alt && squash(el.alt)) line += ` [image: ${clip(squash(el.alt), 60)}] `;
    // A label's text is already its control's name: keep only the controls inside it.
    const labelsControl =
      tag === 'LABEL' &&
      ((el.htmlFor && el.ownerDocument.getElementById(el.htmlFor)) ||
        el.querySelector('input:not([type=hidden]),select,textarea'));
    for (const child of el.childNodes)
      if (!(labelsControl && child.nodeType === 3)) walk(child, frameUrl, offsetX, offsetY);
    if (el.shadowRoot) walk(el.shadowRoot, frameUrl, offsetX, offsetY);
    if (block || tag === 'BR') flush();
    // Cells and inline boxes sit apart on screen; plain inline text (a number and its unit) runs on.
    else if (tag === 'TD' || tag === 'TH' || tag === 'LABEL' || style.display.startsWith('inline-')) line += ' ';
    if (block) closeContainer(el, tag, startBlock, landmark);
    if (landmark) navDepth -= 1;
    if (isMain) mainDepth -= 1;
  }

  walk(document.body || document.documentElement, location.href, 0, 0);
  flush();
  return {
    blocks,
    elements,
    groups,
    mainFound: Boolean(mainElement),
    nextId,
    truncated,
    visited,
    facts: {
      url: location.href,
      title: document.title,
      scrollY: Math.round(window.scrollY),
      viewportHeight: window.innerHeight,
      viewportWidth: window.innerWidth,
      pageHeight: Math.round(
        Math.max(
          document.documentElement ? document.documentElement.scrollHeight : 0,
          document.body ? document.body.scrollHeight : 0,
        ),
      ),
    },
  };
};
