// Northwind Goods: a shop with client-side rendered search, filters, a div-based sort dropdown,
// pagination, an "added to cart" modal, a cart and a validated checkout.
import { complianzBanner, complianzTrack, consentOrPayWall, impossibleTask, loginWall } from '../obstacles.ts';
import { esc, layout } from '../html.ts';
import { answerHas, idFromUrl, type SandboxSite } from '../types.ts';
import { readFirst } from '../answerRules.ts';

interface Product {
  slug: string;
  name: string;
  price: number;
  category: string;
  color: string;
  rating: number;
}

const P = (name: string, price: number, category: string, color: string, rating: number): Product => ({
  slug: name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
  name,
  price,
  category,
  color,
  rating,
});

export const PRODUCTS: Product[] = [
  P('Blue Ceramic Mug', 12.5, 'Kitchen', 'Blue', 4.6),
  P('Red Enamel Kettle', 39, 'Kitchen', 'Red', 4.2),
  P('Walnut Desk Lamp', 64, 'Lighting', 'Brown', 4.8),
  P('Linen Tea Towel Set', 18, 'Textiles', 'White', 4.1),
  P('Oak Dining Chair', 129, 'Furniture', 'Brown', 4.4),
  P('Red Wool Throw', 55, 'Textiles', 'Red', 4.7),
  P('Brass Floor Lamp', 149, 'Lighting', 'Gold', 4.3),
  P('Stoneware Bowl', 9.5, 'Kitchen', 'Grey', 4.0),
  P('Garden Hose 20m', 34, 'Garden', 'Green', 3.9),
  P('Cast Iron Skillet', 45, 'Kitchen', 'Black', 4.9),
  P('Velvet Armchair', 349, 'Furniture', 'Green', 4.5),
  P('Red Clay Planter', 14, 'Garden', 'Red', 4.2),
  P('Pendant Light Globe', 89, 'Lighting', 'White', 4.1),
  P('Bamboo Cutting Board', 22, 'Kitchen', 'Brown', 4.6),
  P('Cotton Cushion Cover', 16, 'Textiles', 'Blue', 3.8),
  P('Folding Garden Chair', 49, 'Garden', 'Green', 4.0),
  P('Glass Storage Jar', 7.5, 'Kitchen', 'Clear', 4.3),
  P('Bedside Table Lamp', 42, 'Lighting', 'Black', 4.4),
  P('Pine Bookshelf', 159, 'Furniture', 'Brown', 4.2),
  P('Red Kitchen Timer', 11, 'Kitchen', 'Red', 3.7),
  P('Wool Area Rug', 210, 'Textiles', 'Grey', 4.6),
  P('Watering Can', 19, 'Garden', 'Grey', 4.1),
  P('Metal Bar Stool', 79, 'Furniture', 'Black', 3.9),
  P('String Fairy Lights', 15, 'Lighting', 'White', 4.5),
  P('Copper Saucepan', 72, 'Kitchen', 'Copper', 4.7),
  P('Red Leather Ottoman', 189, 'Furniture', 'Red', 4.3),
];

const PAGE_SIZE = 10;
const SORTS: Record<string, [string, (a: Product, b: Product) => number]> = {
  featured: ['Featured', () => 0],
  'price-asc': ['Price: low to high', (a, b) => a.price - b.price],
  'price-desc': ['Price: high to low', (a, b) => b.price - a.price],
  rating: ['Customer rating', (a, b) => b.rating - a.rating],
};
const CATEGORIES = [...new Set(PRODUCTS.map((p) => p.category))].sort();
const COLORS = [...new Set(PRODUCTS.map((p) => p.color))].sort();
const money = (n: number) => `$${n.toFixed(2)}`;

export function searchProducts(q: URLSearchParams): { items: Product[]; total: number; page: number; pages: number } {
  const text = (q.get('q') ?? '').toLowerCase().trim();
  const category = q.get('category') ?? '';
  const colors = q.getAll('color');
  const sort = SORTS[q.get('sort') ?? 'featured'] ?? SORTS.featured!;
  const found = PRODUCTS.filter(
    (p) =>
      (!text || p.name.toLowerCase().includes(text)) &&
      (!category || p.category === category) &&
      (!colors.length || colors.includes(p.color)),
  );
  const sorted = [...found].sort(sort[1]);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE_SIZE));
  const page = Math.min(pages, Math.max(1, Number(q.get('page') ?? '1') || 1));
  return { items: sorted.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), total: found.length, page, pages };
}

const NAV: Array<[string, string]> = [
  ['/', 'Shop'],
  ['/cart', 'Cart'],
];
const page = (title: string, body: string, script?: string) =>
  layout({ title: `${title} · Northwind Goods`, brand: 'Northwind Goods', nav: NAV, body, script, accent: '#1d4e89' });

const HOME_SCRIPT = `
const params = new URLSearchParams(location.search);
const form = document.getElementById('filters');
for (const [k, v] of params) { const el = form.querySelector('[name="' + k + '"][value="' + CSS.escape(v) + '"]') || form.querySelector('[name="' + k + '"]:not([type=checkbox])'); if (el) { if (el.type === 'checkbox') el.checked = true; else el.value = v; } }
const sortKey = params.get('sort') || 'featured';
document.getElementById('sort-label').textContent = ${JSON.stringify(Object.fromEntries(Object.entries(SORTS).map(([k, v]) => [k, v[0]])))}[sortKey] || 'Featured';
form.addEventListener('change', (e) => { if (e.target.name === 'category' || e.target.name === 'color') submitFilters(); });
function submitFilters(extra) { const p = new URLSearchParams(new FormData(form)); p.delete('page'); if (params.get('sort')) p.set('sort', params.get('sort')); for (const [k, v] of Object.entries(extra || {})) p.set(k, v); location.search = p.toString(); }
const button = document.getElementById('sort-button'); const list = document.getElementById('sort-options');
button.addEventListener('click', () => { const open = list.hidden; list.hidden = !open; button.setAttribute('aria-expanded', String(open)); });
list.querySelectorAll('[role=option]').forEach((o) => o.addEventListener('click', () => submitFilters({ sort: o.dataset.value })));
fetch('/api/products' + location.search).then((r) => r.json()).then((data) => {
  document.getElementById('count').textContent = data.total + ' products';
  document.getElementById('results').innerHTML = data.items.map((p) => '<div class="card"><a href="/product/' + p.slug + '">' + p.name + '</a><div>' + p.category + ' · ' + p.color + '</div><div class="price">$' + p.price.toFixed(2) + '</div></div>').join('') || '<p>No products match.</p>';
  const pager = document.getElementById('pager'); const q = new URLSearchParams(location.search);
  let html = 'Page ' + data.page + ' of ' + data.pages + ' ';
  if (data.page > 1) { q.set('page', data.page - 1); html += '<a rel="prev" href="?' + q + '">‹ Previous page</a> '; }
  if (data.page < data.pages) { q.set('page', data.page + 1); html += '<a rel="next" href="?' + q + '">Next page ›</a>'; }
  pager.innerHTML = html;
});`;

function home(): string {
  return page(
    'Home',
    `
<h1>Northwind Goods</h1>
<form id="filters" action="/" method="get" role="search">
  <label for="q">Search products</label><input id="q" name="q" type="search" placeholder="Search products">
  <button type="submit">Search</button>
  <label for="category">Category</label>
  <select id="category" name="category"><option value="">All categories</option>${CATEGORIES.map((c) => `<option>${esc(c)}</option>`).join('')}</select>
  <fieldset><legend>Colour</legend>${COLORS.map((c) => `<label><input type="checkbox" name="color" value="${esc(c)}"> ${esc(c)}</label>`).join('')}</fieldset>
</form>
<div class="dropdown">Sort by: <button id="sort-button" type="button" role="combobox" aria-haspopup="listbox" aria-expanded="false" aria-label="Sort by" aria-controls="sort-options"><span id="sort-label">Featured</span> ▾</button>
  <div id="sort-options" role="listbox" hidden>${Object.entries(SORTS)
    .map(([k, [label]]) => `<div role="option" data-value="${k}" aria-selected="false">${esc(label)}</div>`)
    .join('')}</div></div>
<p id="count" aria-live="polite">Loading…</p>
<div id="results" class="grid"></div>
<nav id="pager" aria-label="Pagination"></nav>`,
    HOME_SCRIPT,
  );
}

function product(p: Product): string {
  return page(
    p.name,
    `
<p><a href="/">← Back to all products</a></p>
<h1>${esc(p.name)}</h1>
<p class="price">Price: <strong>${money(p.price)}</strong></p>
<p>Category: ${esc(p.category)} · Colour: ${esc(p.color)} · Rating: ${p.rating} / 5</p>
<p>A well-made ${esc(p.name.toLowerCase())} from our ${esc(p.category.toLowerCase())} range.</p>
<label for="qty">Quantity</label><input id="qty" type="number" min="1" max="10" value="1">
<button id="add" type="button">Add to cart</button>
<div id="modal" class="modal-backdrop" hidden><div class="modal" role="dialog" aria-modal="true" aria-labelledby="modal-title">
  <h2 id="modal-title">Added to cart</h2><p id="modal-text"></p>
  <a href="/cart">View cart</a> <button type="button" id="continue">Continue shopping</button></div></div>`,
    `
document.getElementById('add').addEventListener('click', async () => {
  const qty = Number(document.getElementById('qty').value) || 1;
  await fetch('/api/cart', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: ${JSON.stringify(p.slug)}, qty }) });
  document.getElementById('modal-text').textContent = qty + ' × ' + ${JSON.stringify(p.name)} + ' is in your cart.';
  document.getElementById('modal').hidden = false;
});
document.getElementById('continue').addEventListener('click', () => { document.getElementById('modal').hidden = true; });`,
  );
}

function cartPage(items: Array<{ p: Product; qty: number }>): string {
  const total = items.reduce((s, i) => s + i.p.price * i.qty, 0);
  return page(
    'Cart',
    `<h1>Your cart</h1>
${
  items.length
    ? `<table><tr><th>Product</th><th>Qty</th><th>Price</th></tr>${items.map((i) => `<tr><td>${esc(i.p.name)}</td><td>${i.qty}</td><td>${money(i.p.price * i.qty)}</td></tr>`).join('')}</table>
<p>Total: <strong>${money(total)}</strong></p><a href="/checkout">Proceed to checkout</a>`
    : '<p>Your cart is empty. <a href="/">Continue shopping</a></p>'
}`,
  );
}

function checkoutPage(errors: Record<string, string> = {}, values: Record<string, string> = {}): string {
  const field = (
    id: string,
    label: string,
    type = 'text',
  ) => `<label for="${id}">${label}</label><input id="${id}" name="${id}" type="${type}" required value="${esc(values[id])}">
<div class="error" id="${id}-error">${esc(errors[id] ?? '')}</div>`;
  return page(
    'Checkout',
    `<h1>Checkout</h1>
<form id="checkout" method="post" action="/checkout" novalidate>
${field('name', 'Full name')}${field('email', 'Email', 'email')}${field('address', 'Address')}
<fieldset><legend>Shipping</legend>
<label><input type="radio" name="shipping" value="standard" ${values.shipping !== 'express' ? 'checked' : ''}> Standard shipping (free)</label>
<label><input type="radio" name="shipping" value="express" ${values.shipping === 'express' ? 'checked' : ''}> Express shipping ($15)</label></fieldset>
<button type="submit">Place order</button></form>`,
    `
document.getElementById('checkout').addEventListener('submit', (e) => {
  let ok = true;
  for (const id of ['name', 'email', 'address']) { const el = document.getElementById(id); const bad = !el.value.trim() || (id === 'email' && !/^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$/.test(el.value));
    document.getElementById(id + '-error').textContent = bad ? (id === 'email' && el.value ? 'Enter a valid email address' : 'This field is required') : ''; if (bad) ok = false; }
  if (!ok) e.preventDefault();
});`,
  );
}

/** This week's daily deals, behind Complianz's cookie banner until it is answered. */
const DEALS: Array<[string, string]> = [
  ['Monday', 'Linen Tea Towel'],
  ['Tuesday', 'Oak Cutting Board'],
  ['Wednesday', 'Enamel Kettle'],
  ['Thursday', 'Wool Throw'],
];
function dealsPage(banner: string): string {
  const days = DEALS.map(([day, item]) => `<li>${day}: ${esc(item)}</li>`).join('');
  return page(
    'Daily deals',
    `<h1>This week's daily deals</h1><section data-cmplz-walled ${banner ? 'hidden' : ''}><h2>Deals</h2><ul>${days}</ul></section>${banner}`,
  );
}

export const shop: SandboxSite = {
  name: 'shop',
  title: 'Northwind Goods',
  description: 'Home goods shop: search, filters, sorting, pagination, cart and checkout.',
  routes: [
    ...loginWall,
    (req) => (req.path === '/deals' ? { html: dealsPage(complianzBanner(req)) } : undefined),
    complianzTrack,
    (req) =>
      req.path === '/club'
        ? {
            html: page(
              'Club',
              `<h1>Northwind Club</h1><section style="filter:blur(6px)"><h2>This week's members' price</h2><p>The Copper Saucepan at half price.</p></section>${consentOrPayWall('Northwind Goods')}`,
            ),
          }
        : undefined,
    (req) => (req.path === '/' ? { html: home() } : undefined),
    (req) => (req.path === '/api/products' ? { json: searchProducts(req.query) } : undefined),
    (req) => {
      const slug = /^\/product\/([\w-]+)$/.exec(req.path)?.[1];
      const p = PRODUCTS.find((x) => x.slug === slug);
      return slug
        ? p
          ? { html: product(p) }
          : { status: 404, html: page('Not found', '<h1>Product not found</h1>') }
        : undefined;
    },
    (req, state) => {
      if (req.path !== '/api/cart' || req.method !== 'POST') return undefined;
      const body = req.json as { slug?: string; qty?: number };
      if (!PRODUCTS.some((p) => p.slug === body.slug)) return { status: 400, json: { error: 'unknown product' } };
      const cart = state.cart(req.sid);
      cart.set(body.slug!, (cart.get(body.slug!) ?? 0) + Math.max(1, Math.min(10, Number(body.qty) || 1)));
      return { json: { ok: true } };
    },
    (req, state) => {
      if (req.path !== '/cart') return undefined;
      const items = [...state.cart(req.sid)].map(([slug, qty]) => ({ p: PRODUCTS.find((x) => x.slug === slug)!, qty }));
      return { html: cartPage(items) };
    },
    (req, state) => {
      if (req.path !== '/checkout') return undefined;
      if (req.method !== 'POST') return { html: checkoutPage() };
      const v = Object.fromEntries(
        ['name', 'email', 'address', 'shipping'].map((k) => [k, (req.form.get(k) ?? '').trim()]),
      );
      const errors: Record<string, string> = {};
      for (const k of ['name', 'email', 'address']) if (!v[k]) errors[k] = 'This field is required';
      if (v.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.email)) errors.email = 'Enter a valid email address';
      const cart = state.cart(req.sid);
      if (cart.size === 0) errors.name = 'Your cart is empty';
      if (Object.keys(errors).length) return { status: 422, html: checkoutPage(errors, v) };
      const id = state.newId('NW');
      state.orders.set(id, {
        id,
        sid: req.sid,
        items: [...cart].map(([slug, qty]) => ({ slug, qty })),
        name: v.name!,
        email: v.email!,
        address: v.address!,
        shipping: v.shipping || 'standard',
      });
      state.carts.delete(req.sid);
      return { redirect: `/order/${id}` };
    },
    (req, state) => {
      const id = /^\/order\/([\w-]+)$/.exec(req.path)?.[1];
      if (!id) return undefined;
      const order = state.orders.get(id);
      if (!order) return { status: 404, html: page('Not found', '<h1>Order not found</h1>') };
      return {
        html: page(
          'Order confirmed',
          `<h1>Thank you, ${esc(order.name)}!</h1><p>Order <strong>${esc(id)}</strong> is confirmed.</p>
<ul>${order.items.map((i) => `<li>${i.qty} × ${esc(PRODUCTS.find((p) => p.slug === i.slug)?.name)}</li>`).join('')}</ul><p>Shipping: ${esc(order.shipping)}</p>`,
        ),
      };
    },
  ],
  tasks: [
    {
      id: 'shop-price-mug',
      instruction: 'On Northwind Goods, find the price of the Blue Ceramic Mug.',
      startPath: '/',
      steps: ['Search for "Blue Ceramic Mug"', 'Open the product', 'Read the price'],
      successCriteria: ['The answer states $12.50'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Blue Ceramic Mug', submit: true },
        { kind: 'click', role: 'link', target: 'Blue Ceramic Mug' },
        { kind: 'answer', read: readFirst(/^Price: (\$[\d.]+)$/m, 'The Blue Ceramic Mug costs {}.') },
      ],
      check: (e) => answerHas(e, '12.50'),
    },
    {
      id: 'shop-checkout-lamp',
      kind: 'state',
      instruction:
        'On Northwind Goods, buy one Walnut Desk Lamp and check out as Ada Lovelace, email ada@example.com, address 12 Analytical Street, with standard shipping.',
      startPath: '/',
      steps: [
        'Search for the lamp',
        'Add it to the cart',
        'Go to the cart and check out',
        'Fill name, email and address',
        'Place the order',
      ],
      successCriteria: ['An order holds one Walnut Desk Lamp for Ada Lovelace at 12 Analytical Street'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Walnut Desk Lamp', submit: true },
        { kind: 'click', role: 'link', target: 'Walnut Desk Lamp' },
        { kind: 'click', role: 'button', target: 'Add to cart' },
        { kind: 'click', role: 'link', target: 'View cart' },
        { kind: 'click', role: 'link', target: 'Proceed to checkout' },
        { kind: 'type', target: 'Full name', value: 'Ada Lovelace' },
        { kind: 'type', target: 'Email', value: 'ada@example.com' },
        { kind: 'type', target: 'Address', value: '12 Analytical Street' },
        { kind: 'check', target: 'Standard shipping (free)' },
        { kind: 'click', role: 'button', target: 'Place order' },
        { kind: 'answer', read: readFirst(/^Order (\w+) is confirmed\.$/m, 'Order {} placed.') },
      ],
      check: (e, s) => {
        const order = s.orders.get(idFromUrl(e.finalUrl, 'order') ?? '');
        return Boolean(
          order &&
          order.name === 'Ada Lovelace' &&
          order.email === 'ada@example.com' &&
          /12 Analytical Street/i.test(order.address) &&
          order.shipping === 'standard' &&
          order.items.length === 1 &&
          order.items[0]!.slug === 'walnut-desk-lamp' &&
          order.items[0]!.qty === 1,
        );
      },
    },
    {
      id: 'shop-count-kitchen',
      instruction: 'On Northwind Goods, how many products are listed in the Kitchen category?',
      startPath: '/',
      steps: ['Choose the Kitchen category', 'Read the number of products'],
      successCriteria: [`The answer is ${PRODUCTS.filter((p) => p.category === 'Kitchen').length}`],
      plan: [
        { kind: 'select', target: 'Category', value: 'Kitchen' },
        { kind: 'answer', read: readFirst(/^(\d+) products?$/m, 'There are {} products in Kitchen.') },
      ],
      check: (e) =>
        new RegExp(`\\b${PRODUCTS.filter((p) => p.category === 'Kitchen').length}\\b`).test(e.finalAnswer ?? ''),
    },
    {
      id: 'shop-cheapest-red',
      instruction: 'On Northwind Goods, which red product is the cheapest?',
      startPath: '/',
      steps: ['Filter by the colour Red', 'Sort by price, low to high', 'Read the first product'],
      successCriteria: ['The answer names the Red Kitchen Timer'],
      plan: [
        { kind: 'check', target: 'Red' },
        { kind: 'click', role: 'combobox', target: 'Sort by' },
        { kind: 'click', role: 'option', target: 'Price: low to high' },
        {
          kind: 'answer',
          read: readFirst(/^\d+ products?\n\[\d+\] link "([^"]+)"/m, 'The cheapest red product is the {}.'),
        },
      ],
      check: (e) => answerHas(e, 'red kitchen timer'),
    },
    {
      id: 'shop-page-two',
      instruction:
        'On Northwind Goods, what is the first product shown on page 2 of all products, in the default order?',
      startPath: '/',
      steps: ['Go to the next page of results', 'Read the first product'],
      successCriteria: [`The answer names the ${PRODUCTS[PAGE_SIZE]!.name}`],
      plan: [
        { kind: 'click', role: 'link', target: 'Next page' },
        {
          kind: 'answer',
          read: readFirst(/^\d+ products?\n\[\d+\] link "([^"]+)"/m, 'The first product on page 2 is the {}.'),
        },
      ],
      check: (e) => answerHas(e, PRODUCTS[PAGE_SIZE]!.name),
    },
    {
      id: 'shop-price-kettle',
      instruction: 'On Northwind Goods, how much does the Red Enamel Kettle cost?',
      startPath: '/',
      steps: ['Search for the kettle', 'Open it', 'Read the price'],
      successCriteria: ['The answer states $39.00'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Red Enamel Kettle', submit: true },
        { kind: 'click', role: 'link', target: 'Red Enamel Kettle' },
        { kind: 'answer', read: readFirst(/^Price: (\$[\d.]+)$/m, 'The Red Enamel Kettle costs {}.') },
      ],
      check: (e) => answerHas(e, '39.00'),
    },
    {
      id: 'shop-category-skillet',
      instruction: 'On Northwind Goods, which category is the Cast Iron Skillet listed in?',
      startPath: '/',
      steps: ['Search for the skillet', 'Open it', 'Read its category'],
      successCriteria: ['The answer names Kitchen'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Cast Iron Skillet', submit: true },
        { kind: 'click', role: 'link', target: 'Cast Iron Skillet' },
        { kind: 'answer', read: readFirst(/^Category: (\w+)/m, 'It is listed in {}.') },
      ],
      check: (e) => answerHas(e, 'kitchen'),
    },
    {
      id: 'shop-cart-two-mugs',
      kind: 'state',
      instruction: 'On Northwind Goods, put two Blue Ceramic Mugs in your cart.',
      startPath: '/',
      steps: ['Search for the mug', 'Open it', 'Set the quantity to 2', 'Add it to the cart'],
      successCriteria: ['A cart holds 2 Blue Ceramic Mugs'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Blue Ceramic Mug', submit: true },
        { kind: 'click', role: 'link', target: 'Blue Ceramic Mug' },
        { kind: 'type', target: 'Quantity', value: '2' },
        { kind: 'click', role: 'button', target: 'Add to cart' },
        { kind: 'answer', read: readFirst(/^(\d+ × [^\n]+ is in your cart\.)$/m, '{}') },
      ],
      check: (_e, s) => [...s.carts.values()].some((cart) => cart.get('blue-ceramic-mug') === 2),
    },
    {
      id: 'shop-no-sofa',
      kind: 'infeasible',
      instruction: 'On Northwind Goods, buy a Purple Velvet Sofa.',
      startPath: '/',
      steps: ['Search for the sofa', 'See that the shop does not sell it'],
      successCriteria: ['The answer says it is not sold'],
      plan: [
        { kind: 'type', target: 'Search products', value: 'Purple Velvet Sofa', submit: true },
        {
          kind: 'answer',
          read: readFirst(/^0 products$/m, 'Northwind Goods has no Purple Velvet Sofa: it is not sold there.'),
        },
      ],
      check: (e, s) =>
        /not sold|does not sell|no purple velvet sofa/i.test(e.finalAnswer ?? '') &&
        ![...s.orders.values()].some((o) => o.items.some((i) => /sofa/.test(i.slug))),
    },
    impossibleTask({
      // Behind a login wall: without an account there is no order to read.
      id: 'shop-last-order',
      obstacle: 'login',
      instruction: 'On Northwind Goods, on which day was the last order in the order history delivered?',
      startPath: '/account/orders',
      steps: ['Open the order history', 'Read the delivery date of the last order'],
      successCriteria: ['The answer gives the delivery date of the last order'],
    }),
    {
      // Behind a consent popup the browser answers (it opts out) before the agent reads the page.
      id: 'shop-wednesday-deal',
      instruction: "On Northwind Goods, which item is Wednesday's deal in this week's daily deals?",
      startPath: '/deals',
      steps: ['Open the daily deals', "Read Wednesday's deal"],
      successCriteria: ['The answer names the Enamel Kettle'],
      plan: [{ kind: 'answer', read: readFirst(/Wednesday: ([A-Z][\w ]+)/, "Wednesday's deal is the {}.") }],
      // Read, and the cookies refused: nobody who came accepted them on the visitor's behalf.
      check: (e, s) =>
        /enamel kettle/i.test(e.finalAnswer ?? '') &&
        s.consentChoices.size > 0 &&
        [...s.consentChoices.values()].every((choice) => choice === 'deny'),
    },
    impossibleTask({
      // Behind a consent-or-pay wall: webtrail never accepts tracking on anyone's behalf, and cannot pay.
      id: 'shop-club-price',
      obstacle: 'consent',
      instruction: "On Northwind Goods, what is this week's members' price on the Club page?",
      startPath: '/club',
      steps: ['Open the Club page', "Read this week's members' price"],
      successCriteria: ["The answer names this week's members' price"],
    }),
  ],
};
