// Kitchen Notes: recipes with cuisine tabs (ARIA tabs), a servings slider that rescales the
// ingredients, nutrition facts inside a web component's shadow DOM, and a favourites toggle.
import { esc, layout } from '../html.ts';
import { answerHas, type SandboxSite } from '../types.ts';
import { readFirst, readBest, type AnswerRule } from '../answerRules.ts';

interface Recipe {
  slug: string;
  name: string;
  cuisine: string;
  minutes: number;
  vegetarian: boolean;
  serves: number;
  calories: number;
  ingredients: Array<[number, string, string]>;
}

const RECIPES: Recipe[] = [
  {
    slug: 'shakshuka',
    name: 'Shakshuka',
    cuisine: 'Middle Eastern',
    minutes: 30,
    vegetarian: true,
    serves: 4,
    calories: 290,
    ingredients: [
      [6, '', 'eggs'],
      [800, 'g', 'tomatoes'],
      [2, '', 'peppers'],
      [1, 'tsp', 'cumin'],
    ],
  },
  {
    slug: 'pad-thai',
    name: 'Pad Thai',
    cuisine: 'Thai',
    minutes: 25,
    vegetarian: false,
    serves: 2,
    calories: 540,
    ingredients: [
      [200, 'g', 'rice noodles'],
      [150, 'g', 'prawns'],
      [2, 'tbsp', 'tamarind paste'],
      [1, '', 'egg'],
    ],
  },
  {
    slug: 'mushroom-risotto',
    name: 'Mushroom Risotto',
    cuisine: 'Italian',
    minutes: 45,
    vegetarian: true,
    serves: 4,
    calories: 480,
    ingredients: [
      [320, 'g', 'arborio rice'],
      [300, 'g', 'mushrooms'],
      [1, 'l', 'vegetable stock'],
      [50, 'g', 'parmesan'],
    ],
  },
  {
    slug: 'banana-bread',
    name: 'Banana Bread',
    cuisine: 'American',
    minutes: 70,
    vegetarian: true,
    serves: 8,
    calories: 260,
    ingredients: [
      [3, '', 'ripe bananas'],
      [250, 'g', 'flour'],
      [100, 'g', 'butter'],
      [150, 'g', 'sugar'],
    ],
  },
  {
    slug: 'green-curry',
    name: 'Green Curry',
    cuisine: 'Thai',
    minutes: 35,
    vegetarian: false,
    serves: 4,
    calories: 610,
    ingredients: [
      [500, 'g', 'chicken thighs'],
      [400, 'ml', 'coconut milk'],
      [3, 'tbsp', 'green curry paste'],
      [1, 'bunch', 'basil'],
    ],
  },
  {
    slug: 'caprese-salad',
    name: 'Caprese Salad',
    cuisine: 'Italian',
    minutes: 10,
    vegetarian: true,
    serves: 2,
    calories: 320,
    ingredients: [
      [2, '', 'tomatoes'],
      [125, 'g', 'mozzarella'],
      [1, 'handful', 'basil'],
      [2, 'tbsp', 'olive oil'],
    ],
  },
];
/** Reads calories per serving off the recipe page and scales them: an answer worked out, not read. */
const timesServings =
  (servings: number): AnswerRule =>
  (page) => {
    const perServing = /Calories per serving: (\d+) kcal/.exec(page)?.[1];
    return perServing ? `${servings} servings have ${Number(perServing) * servings} kcal.` : null;
  };

const CUISINES = [...new Set(RECIPES.map((r) => r.cuisine))];

const page = (title: string, body: string, script?: string) =>
  layout({
    title: `${title} · Kitchen Notes`,
    brand: 'Kitchen Notes',
    nav: [
      ['/', 'Recipes'],
      ['/favourites', 'Favourites'],
    ],
    body,
    script,
    accent: '#a0522d',
  });

const COMPONENT = `
class NutritionFacts extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<style>div{border:2px solid #333;padding:8px;width:220px}</style><div><strong>Nutrition facts</strong><p>Calories per serving: ' + this.getAttribute('calories') + ' kcal</p><button type="button">Show details</button><p class="more" hidden>Values are estimates.</p></div>';
    root.querySelector('button').addEventListener('click', () => { root.querySelector('.more').hidden = false; });
  }
}
customElements.define('nutrition-facts', NutritionFacts);`;

function home(): string {
  const panel = (c: string, i: number) =>
    `<div role="tabpanel" id="panel-${i}" aria-labelledby="tab-${i}" ${i ? 'hidden' : ''}><ul>${RECIPES.filter(
      (r) => r.cuisine === c,
    )
      .map(
        (r) =>
          `<li><a href="/recipe/${r.slug}">${esc(r.name)}</a> — ${r.minutes} min${r.vegetarian ? ', vegetarian' : ''}</li>`,
      )
      .join('')}</ul></div>`;
  return page(
    'Recipes',
    `<h1>Recipes</h1><div role="tablist" aria-label="Cuisines">${CUISINES.map((c, i) => `<button role="tab" id="tab-${i}" aria-controls="panel-${i}" aria-selected="${i === 0}">${esc(c)}</button>`).join('')}</div>
${CUISINES.map(panel).join('')}`,
    `
document.querySelectorAll('[role=tab]').forEach((tab) => tab.addEventListener('click', () => {
  document.querySelectorAll('[role=tab]').forEach((t) => t.setAttribute('aria-selected', String(t === tab)));
  document.querySelectorAll('[role=tabpanel]').forEach((p) => { p.hidden = p.id !== tab.getAttribute('aria-controls'); });
}));`,
  );
}

function recipePage(r: Recipe, favourite: boolean): string {
  return page(
    r.name,
    `<h1>${esc(r.name)}</h1><p>${esc(r.cuisine)} · Ready in ${r.minutes} minutes${r.vegetarian ? ' · Vegetarian' : ''}</p>
<button type="button" id="fav" aria-pressed="${favourite}">${favourite ? '★ Saved to favourites' : '☆ Save to favourites'}</button>
<label for="servings">Servings: <output id="servings-out">${r.serves}</output></label>
<input id="servings" type="range" min="1" max="12" value="${r.serves}" aria-label="Servings">
<h2>Ingredients</h2><ul id="ingredients"></ul>
<nutrition-facts calories="${r.calories}"></nutrition-facts>`,
    `${COMPONENT}
const base = ${r.serves}; const items = ${JSON.stringify(r.ingredients)};
const render = (n) => { document.getElementById('servings-out').textContent = n; document.getElementById('ingredients').innerHTML = items.map(([q, u, what]) => '<li>' + (Math.round(q * n / base * 10) / 10) + (u ? ' ' + u : '') + ' ' + what + '</li>').join(''); };
const slider = document.getElementById('servings'); slider.addEventListener('input', () => render(Number(slider.value))); render(base);
document.getElementById('fav').addEventListener('click', async (e) => {
  const on = e.target.getAttribute('aria-pressed') !== 'true';
  await fetch('/api/favourite', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: ${JSON.stringify(r.slug)}, on }) });
  e.target.setAttribute('aria-pressed', String(on)); e.target.textContent = on ? '★ Saved to favourites' : '☆ Save to favourites';
});`,
  );
}

export const recipes: SandboxSite = {
  name: 'recipes',
  title: 'Kitchen Notes',
  description: 'Recipe site: cuisine tabs, servings slider, nutrition facts in a web component, favourites.',
  routes: [
    (req) => (req.path === '/' ? { html: home() } : undefined),
    (req, state) => {
      const slug = /^\/recipe\/([\w-]+)$/.exec(req.path)?.[1];
      if (!slug) return undefined;
      const r = RECIPES.find((x) => x.slug === slug);
      return r
        ? { html: recipePage(r, state.favourites.get(req.sid)?.has(slug) ?? false) }
        : { status: 404, html: page('Not found', '<h1>Recipe not found</h1>') };
    },
    (req, state) => {
      if (req.path !== '/api/favourite' || req.method !== 'POST') return undefined;
      const body = req.json as { slug?: string; on?: boolean };
      if (!RECIPES.some((r) => r.slug === body.slug)) return { status: 400, json: { error: 'unknown recipe' } };
      const set = state.favourites.get(req.sid) ?? new Set<string>();
      if (body.on) set.add(body.slug!);
      else set.delete(body.slug!);
      state.favourites.set(req.sid, set);
      return { json: { ok: true } };
    },
    (req, state) => {
      if (req.path !== '/favourites') return undefined;
      const mine = [...(state.favourites.get(req.sid) ?? [])].map((s) => RECIPES.find((r) => r.slug === s)!);
      return {
        html: page(
          'Favourites',
          `<h1>Your favourites</h1>${mine.length ? `<ul>${mine.map((r) => `<li><a href="/recipe/${r.slug}">${esc(r.name)}</a></li>`).join('')}</ul>` : '<p>No favourites yet.</p>'}`,
        ),
      };
    },
  ],
  tasks: [
    {
      id: 'recipes-calories',
      instruction: 'On Kitchen Notes, how many calories per serving does the Mushroom Risotto have?',
      startPath: '/',
      steps: ['Open the Italian tab', 'Open Mushroom Risotto', 'Read the nutrition facts'],
      successCriteria: ['The answer states 480 kcal'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Italian' },
        { kind: 'click', role: 'link', target: 'Mushroom Risotto' },
        { kind: 'answer', read: readFirst(/Calories per serving: (\d+ kcal)/, 'It has {} per serving.') },
      ],
      check: (e) => answerHas(e, '480'),
    },
    {
      id: 'recipes-flour-scaled',
      instruction: 'On Kitchen Notes, how much flour does the Banana Bread need when made for 12 servings?',
      startPath: '/',
      steps: ['Open the American tab', 'Open Banana Bread', 'Set servings to 12', 'Read the flour'],
      successCriteria: ['The answer states 375 g'],
      plan: [
        { kind: 'click', role: 'tab', target: 'American' },
        { kind: 'click', role: 'link', target: 'Banana Bread' },
        { kind: 'type', target: 'Servings', value: '12' },
        { kind: 'answer', read: readFirst(/^- ([\d.]+ g) flour$/m, 'It needs {} of flour.') },
      ],
      check: (e) => answerHas(e, '375'),
    },
    {
      id: 'recipes-favourite',
      kind: 'state',
      instruction: 'On Kitchen Notes, save the Pad Thai recipe to your favourites.',
      startPath: '/',
      steps: ['Open the Thai tab', 'Open Pad Thai', 'Press Save to favourites'],
      successCriteria: ['Pad Thai is among the favourites'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Thai' },
        { kind: 'click', role: 'link', target: 'Pad Thai' },
        { kind: 'click', role: 'button', target: 'Save to favourites' },
        { kind: 'answer', read: readFirst(/button "★ (Saved to favourites)"/, '{}.') },
      ],
      check: (_e, s) => [...s.favourites.values()].some((set) => set.has('pad-thai')),
    },
    {
      id: 'recipes-quickest-veg',
      instruction: 'Which vegetarian recipe on Kitchen Notes is the quickest to make?',
      startPath: '/',
      steps: ['Look through the cuisines', 'Compare vegetarian recipes by time'],
      successCriteria: ['The answer names the Caprese Salad'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Italian' },
        {
          kind: 'answer',
          read: readBest(
            /link "([^"]+)"[^\n]*\n— (\d+) min, vegetarian/,
            'lowest',
            (m) => Number(m[2]),
            (m) => `The ${m[1]}, ready in ${m[2]} minutes.`,
          ),
        },
      ],
      check: (e) => answerHas(e, 'caprese'),
    },
    {
      id: 'recipes-minutes',
      instruction: 'On Kitchen Notes, how many minutes does the Green Curry take?',
      startPath: '/',
      steps: ['Open the Thai tab', 'Read the time of Green Curry'],
      successCriteria: ['The answer states 35 minutes'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Thai' },
        {
          kind: 'answer',
          read: readFirst(/link "Green Curry"[^\n]*\n— (\d+) min/, 'The Green Curry takes {} minutes.'),
        },
      ],
      check: (e) => answerHas(e, '35'),
    },
    {
      id: 'recipes-calories-pad-thai',
      instruction: 'On Kitchen Notes, how many calories per serving does the Pad Thai have?',
      startPath: '/',
      steps: ['Open the Thai tab', 'Open Pad Thai', 'Read the calories'],
      successCriteria: ['The answer states 540 kcal'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Thai' },
        { kind: 'click', role: 'link', target: 'Pad Thai' },
        { kind: 'answer', read: readFirst(/Calories per serving: (\d+ kcal)/, 'It has {} per serving.') },
      ],
      check: (e) => answerHas(e, '540'),
    },
    {
      id: 'recipes-quickest-thai',
      instruction: 'On Kitchen Notes, among the Thai dishes, which one can be cooked in the least time?',
      startPath: '/',
      steps: ['Open the Thai tab', 'Compare the times'],
      successCriteria: ['The answer names the Pad Thai'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Thai' },
        {
          kind: 'answer',
          read: readBest(
            /link "([^"]+)"[^\n]*\n— (\d+) min/,
            'lowest',
            (m) => Number(m[2]),
            (m) => `The ${m[1]}, in ${m[2]} minutes.`,
          ),
        },
      ],
      check: (e) => answerHas(e, 'pad thai'),
    },
    {
      id: 'recipes-favourite-risotto',
      kind: 'state',
      instruction: 'On Kitchen Notes, save the Mushroom Risotto to your favourites.',
      startPath: '/',
      steps: ['Open the Italian tab', 'Open Mushroom Risotto', 'Press Save to favourites'],
      successCriteria: ['Mushroom Risotto is among the favourites'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Italian' },
        { kind: 'click', role: 'link', target: 'Mushroom Risotto' },
        { kind: 'click', role: 'button', target: 'Save to favourites' },
        { kind: 'answer', read: readFirst(/button "★ (Saved to favourites)"/, '{}.') },
      ],
      check: (_e, s) => [...s.favourites.values()].some((set) => set.has('mushroom-risotto')),
    },
    {
      id: 'recipes-no-sushi',
      kind: 'infeasible',
      instruction: 'On Kitchen Notes, save the Salmon Sushi recipe to your favourites.',
      startPath: '/',
      steps: ['Look through the cuisines', 'See that there is no such recipe'],
      successCriteria: ['The answer says it is not available'],
      plan: [
        {
          kind: 'answer',
          read: (page) =>
            /\btab "/.test(page) && !/sushi/i.test(page)
              ? 'Kitchen Notes has no Salmon Sushi recipe: it is not available.'
              : null,
        },
      ],
      check: (e, s) =>
        /not available|no salmon sushi/i.test(e.finalAnswer ?? '') &&
        ![...s.favourites.values()].some((set) => [...set].some((x) => /sushi/.test(x))),
    },
  ],
  followUps: [
    {
      id: 'recipes-calories-risotto-two',
      parent: 'recipes-calories',
      after: 'success',
      reason: 'The agent read calories per serving; two servings needs the same fact and a sum.',
      instruction: 'On Kitchen Notes, how many calories are in two servings of the Mushroom Risotto?',
      startPath: '/',
      steps: ['Open the Italian tab', 'Open Mushroom Risotto', 'Read the calories per serving', 'Double them'],
      successCriteria: ['The answer states 960 kcal'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Italian' },
        { kind: 'click', role: 'link', target: 'Mushroom Risotto' },
        { kind: 'answer', read: timesServings(2) },
      ],
      check: (e) => answerHas(e, '960'),
    },
    {
      id: 'recipes-calories-pad-thai-three',
      parent: 'recipes-calories-risotto-two',
      after: 'success',
      reason: "The agent scaled one dish; another cuisine's dish, scaled by three, goes further.",
      instruction: 'On Kitchen Notes, how many calories are in three servings of the Pad Thai?',
      startPath: '/',
      steps: ['Open the Thai tab', 'Open Pad Thai', 'Read the calories per serving', 'Multiply by three'],
      successCriteria: ['The answer states 1620 kcal'],
      plan: [
        { kind: 'click', role: 'tab', target: 'Thai' },
        { kind: 'click', role: 'link', target: 'Pad Thai' },
        { kind: 'answer', read: timesServings(3) },
      ],
      check: (e) => /1[,.]?620/.test(e.finalAnswer ?? ''),
    },
  ],
};
