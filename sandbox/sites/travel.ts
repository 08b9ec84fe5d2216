// SkyHop: flight booking with ARIA comboboxes for airports, a date field, a passenger count, cabin
// radios, client-side rendered results, per-passenger details with validation, and a confirmation.
import { challengePage, impossibleTask } from '../obstacles.ts';
import { esc, layout } from '../html.ts';
import { answerHas, idFromUrl, type PlanStep, type SandboxSite } from '../types.ts';
import { readFirst, readBest } from '../answerRules.ts';

/** The plan steps that pick a route in the custom dropdowns and type the date. */
const chooseRoute = (from: string, to: string, date: string): PlanStep[] => [
  { kind: 'click', role: 'combobox', target: 'From' },
  { kind: 'click', role: 'option', target: from },
  { kind: 'click', role: 'combobox', target: 'To' },
  { kind: 'click', role: 'option', target: to },
  { kind: 'type', target: 'Departure date', value: date },
];

const AIRPORTS = ['Boston (BOS)', 'Lisbon (LIS)', 'Madrid (MAD)', 'Paris (CDG)', 'Reykjavik (KEF)', 'Toronto (YYZ)'];

interface Flight {
  code: string;
  from: string;
  to: string;
  departs: string;
  arrives: string;
  economy: number;
  business: number;
}

const FLIGHTS: Flight[] = [
  {
    code: 'SH210',
    from: 'Boston (BOS)',
    to: 'Lisbon (LIS)',
    departs: '08:15',
    arrives: '19:40',
    economy: 412,
    business: 1290,
  },
  {
    code: 'SH214',
    from: 'Boston (BOS)',
    to: 'Lisbon (LIS)',
    departs: '21:30',
    arrives: '09:05',
    economy: 365,
    business: 1180,
  },
  {
    code: 'SH330',
    from: 'Paris (CDG)',
    to: 'Reykjavik (KEF)',
    departs: '10:00',
    arrives: '11:55',
    economy: 198,
    business: 640,
  },
  {
    code: 'SH331',
    from: 'Paris (CDG)',
    to: 'Reykjavik (KEF)',
    departs: '16:20',
    arrives: '18:10',
    economy: 176,
    business: 590,
  },
  {
    code: 'SH402',
    from: 'Madrid (MAD)',
    to: 'Toronto (YYZ)',
    departs: '12:45',
    arrives: '15:30',
    economy: 520,
    business: 1750,
  },
];

const page = (title: string, body: string, script?: string) =>
  layout({
    title: `${title} · SkyHop`,
    brand: 'SkyHop',
    nav: [
      ['/', 'Book a flight'],
      ['/deals', 'Deals'],
    ],
    body,
    script,
    accent: '#0b6e4f',
  });

const COMBO_SCRIPT = `
document.querySelectorAll('.airport').forEach((box) => {
  const input = box.querySelector('input'); const list = box.querySelector('[role=listbox]');
  const render = () => { const q = input.value.toLowerCase(); list.innerHTML = ${JSON.stringify(AIRPORTS)}.filter((a) => a.toLowerCase().includes(q)).map((a) => '<div role="option" aria-selected="false">' + a + '</div>').join(''); };
  input.addEventListener('focus', () => { render(); list.hidden = false; input.setAttribute('aria-expanded', 'true'); });
  input.addEventListener('click', () => { render(); list.hidden = false; input.setAttribute('aria-expanded', 'true'); });
  input.addEventListener('input', () => { render(); list.hidden = false; });
  list.addEventListener('mousedown', (e) => { const o = e.target.closest('[role=option]'); if (!o) return; e.preventDefault(); input.value = o.textContent; list.hidden = true; input.setAttribute('aria-expanded', 'false'); });
  input.addEventListener('blur', () => setTimeout(() => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); }, 150));
});
document.getElementById('search').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target); const err = document.getElementById('search-error'); err.textContent = '';
  if (!${JSON.stringify(AIRPORTS)}.includes(f.get('from')) || !${JSON.stringify(AIRPORTS)}.includes(f.get('to'))) { err.textContent = 'Choose both airports from the list'; return; }
  if (!f.get('date')) { err.textContent = 'Choose a departure date'; return; }
  const r = await fetch('/api/flights?' + new URLSearchParams(f)); const data = await r.json();
  document.getElementById('results').innerHTML = '<h2>' + data.length + ' flights found</h2>' + data.map((x) => '<div class="card"><strong>' + x.code + '</strong> ' + x.from + ' → ' + x.to + ', departs ' + x.departs + ', arrives ' + x.arrives + ' — fare $' + x.fare + ' per passenger <a href="/passengers?' + new URLSearchParams({ flight: x.code, date: f.get('date'), passengers: f.get('passengers'), cabin: f.get('cabin') }) + '">Select ' + x.code + '</a></div>').join('');
});`;

function home(): string {
  const combo = (id: string, label: string) => `<div class="airport dropdown"><label for="${id}">${label}</label>
<input id="${id}" name="${id}" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="${id}-list" autocomplete="off" placeholder="City or airport">
<div id="${id}-list" role="listbox" hidden></div></div>`;
  return page(
    'Book a flight',
    `<h1>Where to next?</h1>
<form id="search" class="card">
${combo('from', 'From')}${combo('to', 'To')}
<label for="date">Departure date</label><input id="date" name="date" type="date" min="2026-01-01" max="2027-12-31">
<label for="passengers">Passengers</label><input id="passengers" name="passengers" type="number" min="1" max="6" value="1">
<fieldset><legend>Cabin</legend><label><input type="radio" name="cabin" value="economy" checked> Economy</label><label><input type="radio" name="cabin" value="business"> Business</label></fieldset>
<button type="submit">Search flights</button><div id="search-error" class="error" role="alert"></div></form>
<section id="results"></section>`,
    COMBO_SCRIPT,
  );
}

function passengersPage(q: URLSearchParams, errors: string[] = [], values: Record<string, string> = {}): string {
  const n = Math.min(6, Math.max(1, Number(q.get('passengers')) || 1));
  const flight = FLIGHTS.find((f) => f.code === q.get('flight'));
  if (!flight) return page('Not found', '<h1>Flight not found</h1>');
  const rows = Array.from(
    { length: n },
    (_, i) => `<fieldset><legend>Passenger ${i + 1}</legend>
<label for="first${i}">Passenger ${i + 1} first name</label><input id="first${i}" name="first${i}" value="${esc(values[`first${i}`])}">
<label for="last${i}">Passenger ${i + 1} last name</label><input id="last${i}" name="last${i}" value="${esc(values[`last${i}`])}"></fieldset>`,
  ).join('');
  return page(
    'Passengers',
    `<h1>Flight ${esc(flight.code)}, ${esc(q.get('date'))}</h1><p>${esc(flight.from)} → ${esc(flight.to)}, ${esc(q.get('cabin'))}</p>
${errors.map((e) => `<p class="error" role="alert">${esc(e)}</p>`).join('')}
<form method="post" action="/book">
<input type="hidden" name="flight" value="${esc(flight.code)}"><input type="hidden" name="date" value="${esc(q.get('date'))}">
<input type="hidden" name="passengers" value="${n}"><input type="hidden" name="cabin" value="${esc(q.get('cabin'))}">
${rows}<button type="submit">Confirm booking</button></form>`,
  );
}

export const travel: SandboxSite = {
  name: 'travel',
  title: 'SkyHop',
  description: 'Flight booking: airport comboboxes, dates, passengers, cabin class, passenger details.',
  routes: [
    challengePage,
    (req) => (req.path === '/' ? { html: home() } : undefined),
    (req) =>
      req.path === '/deals'
        ? {
            html: page(
              'Deals',
              `<h1>Deals</h1><ul>${FLIGHTS.map((f) => `<li>${esc(f.from)} → ${esc(f.to)} from $${f.economy}</li>`).join('')}</ul>`,
            ),
          }
        : undefined,
    (req) => {
      if (req.path !== '/api/flights') return undefined;
      const cabin = req.query.get('cabin') === 'business' ? 'business' : 'economy';
      return {
        json: FLIGHTS.filter((f) => f.from === req.query.get('from') && f.to === req.query.get('to')).map((f) => ({
          ...f,
          fare: f[cabin],
        })),
      };
    },
    (req) => (req.path === '/passengers' ? { html: passengersPage(req.query) } : undefined),
    (req, state) => {
      if (req.path !== '/book' || req.method !== 'POST') return undefined;
      const n = Math.min(6, Math.max(1, Number(req.form.get('passengers')) || 1));
      const values = Object.fromEntries([...req.form]);
      const errors: string[] = [];
      const passengers = Array.from({ length: n }, (_, i) => ({
        first: (req.form.get(`first${i}`) ?? '').trim(),
        last: (req.form.get(`last${i}`) ?? '').trim(),
      }));
      passengers.forEach((p, i) => {
        if (!p.first || !p.last) errors.push(`Enter the first and last name of passenger ${i + 1}`);
      });
      if (errors.length) return { status: 422, html: passengersPage(new URLSearchParams(values), errors, values) };
      const id = state.newId('SK');
      state.bookings.set(id, {
        id,
        sid: req.sid,
        flight: req.form.get('flight') ?? '',
        date: req.form.get('date') ?? '',
        passengers,
        cabin: req.form.get('cabin') ?? 'economy',
      });
      return { redirect: `/booking/${id}` };
    },
    (req, state) => {
      const id = /^\/booking\/([\w-]+)$/.exec(req.path)?.[1];
      if (!id) return undefined;
      const b = state.bookings.get(id);
      if (!b) return { status: 404, html: page('Not found', '<h1>Booking not found</h1>') };
      return {
        html: page(
          'Booking confirmed',
          `<h1>Booking ${esc(id)} confirmed</h1><p>Flight ${esc(b.flight)} on ${esc(b.date)}, ${esc(b.cabin)}</p><ul>${b.passengers.map((p) => `<li>${esc(p.first)} ${esc(p.last)}</li>`).join('')}</ul>`,
        ),
      };
    },
  ],
  tasks: [
    {
      id: 'travel-book-lisbon',
      kind: 'state',
      instruction:
        'On SkyHop, book the 08:15 flight from Boston to Lisbon on 2026-12-12 in economy for two passengers: Grace Hopper and Alan Turing.',
      startPath: '/',
      steps: [
        'Choose Boston and Lisbon',
        'Set the date and 2 passengers',
        'Search and select SH210',
        'Enter both passengers',
        'Confirm',
      ],
      successCriteria: ['A booking of SH210 on 2026-12-12, economy, for Grace Hopper and Alan Turing'],
      plan: [
        ...chooseRoute('Boston (BOS)', 'Lisbon (LIS)', '2026-12-12'),
        { kind: 'type', target: 'Passengers', value: '2' },
        { kind: 'click', role: 'button', target: 'Search flights' },
        { kind: 'click', role: 'link', target: 'Select SH210' },
        { kind: 'type', target: 'Passenger 1 first name', value: 'Grace' },
        { kind: 'type', target: 'Passenger 1 last name', value: 'Hopper' },
        { kind: 'type', target: 'Passenger 2 first name', value: 'Alan' },
        { kind: 'type', target: 'Passenger 2 last name', value: 'Turing' },
        { kind: 'click', role: 'button', target: 'Confirm booking' },
        { kind: 'answer', read: readFirst(/^# Booking (\w+) confirmed$/m, 'Booked ({}).') },
      ],
      check: (e, s) => {
        const b = s.bookings.get(idFromUrl(e.finalUrl, 'booking') ?? '');
        return Boolean(
          b &&
          b.flight === 'SH210' &&
          b.date === '2026-12-12' &&
          b.cabin === 'economy' &&
          b.passengers.map((p) => `${p.first} ${p.last}`).join(',') === 'Grace Hopper,Alan Turing',
        );
      },
    },
    {
      id: 'travel-cheapest-kef',
      instruction: 'On SkyHop, what is the cheapest economy fare from Paris to Reykjavik on 2026-11-30?',
      startPath: '/',
      steps: ['Search Paris to Reykjavik on that date', 'Compare the fares'],
      successCriteria: ['The answer states $176'],
      plan: [
        ...chooseRoute('Paris (CDG)', 'Reykjavik (KEF)', '2026-11-30'),
        { kind: 'click', role: 'button', target: 'Search flights' },
        {
          kind: 'answer',
          read: readBest(
            /^(SH\d+) .* — fare \$(\d+) per passenger$/m,
            'lowest',
            (m) => Number(m[2]),
            (m) => `The cheapest economy fare is $${m[2]} (${m[1]}).`,
          ),
        },
      ],
      check: (e) => answerHas(e, '176'),
    },
    {
      id: 'travel-business-fare',
      instruction: 'On SkyHop, how much is a business class seat on flight SH402 from Madrid to Toronto on 2027-01-15?',
      startPath: '/',
      steps: ['Search Madrid to Toronto in business'],
      successCriteria: ['The answer states $1750'],
      plan: [
        ...chooseRoute('Madrid (MAD)', 'Toronto (YYZ)', '2027-01-15'),
        { kind: 'check', target: 'Business' },
        { kind: 'click', role: 'button', target: 'Search flights' },
        {
          kind: 'answer',
          read: readFirst(/^SH402 .* — fare (\$\d+) per passenger$/m, 'A business seat on SH402 costs {}.'),
        },
      ],
      check: (e) => /1[,.]?750/.test(e.finalAnswer ?? ''),
    },
    {
      id: 'travel-late-departure',
      instruction: 'On SkyHop, at what time does the evening flight from Boston to Lisbon depart on 2026-12-20?',
      startPath: '/',
      steps: ['Search Boston to Lisbon', 'Find the evening departure'],
      successCriteria: ['The answer states 21:30'],
      plan: [
        ...chooseRoute('Boston (BOS)', 'Lisbon (LIS)', '2026-12-20'),
        { kind: 'click', role: 'button', target: 'Search flights' },
        {
          kind: 'answer',
          read: readBest(
            /^(SH\d+) .*, departs (\d\d):(\d\d)/m,
            'highest',
            (m) => Number(m[2]) * 60 + Number(m[3]),
            (m) => `The evening flight ${m[1]} departs at ${m[2]}:${m[3]}.`,
          ),
        },
      ],
      check: (e) => answerHas(e, '21:30'),
    },
    {
      id: 'travel-book-business-solo',
      kind: 'state',
      instruction:
        'On SkyHop, book one business class seat on SH331 from Paris to Reykjavik on 2026-12-01 for Ada Byron.',
      startPath: '/',
      steps: ['Search Paris to Reykjavik in business', 'Select SH331', 'Enter the passenger', 'Confirm'],
      successCriteria: ['A business booking of SH331 on 2026-12-01 for Ada Byron'],
      plan: [
        ...chooseRoute('Paris (CDG)', 'Reykjavik (KEF)', '2026-12-01'),
        { kind: 'check', target: 'Business' },
        { kind: 'click', role: 'button', target: 'Search flights' },
        { kind: 'click', role: 'link', target: 'Select SH331' },
        { kind: 'type', target: 'Passenger 1 first name', value: 'Ada' },
        { kind: 'type', target: 'Passenger 1 last name', value: 'Byron' },
        { kind: 'click', role: 'button', target: 'Confirm booking' },
        { kind: 'answer', read: readFirst(/^# Booking (\w+) confirmed$/m, 'Booked ({}).') },
      ],
      check: (e, s) => {
        const b = s.bookings.get(idFromUrl(e.finalUrl, 'booking') ?? '');
        return Boolean(
          b &&
          b.flight === 'SH331' &&
          b.date === '2026-12-01' &&
          b.cabin === 'business' &&
          b.passengers.length === 1 &&
          b.passengers[0]!.first === 'Ada' &&
          b.passengers[0]!.last === 'Byron',
        );
      },
    },
    {
      id: 'travel-arrival-sh330',
      instruction: 'On SkyHop, at what time does flight SH330 from Paris to Reykjavik on 2026-11-30 arrive?',
      startPath: '/',
      steps: ['Search Paris to Reykjavik on that day', "Read SH330's arrival"],
      successCriteria: ['The answer states 11:55'],
      plan: [
        ...chooseRoute('Paris (CDG)', 'Reykjavik (KEF)', '2026-11-30'),
        { kind: 'click', role: 'button', target: 'Search flights' },
        { kind: 'answer', read: readFirst(/^SH330 .*, arrives (\d\d:\d\d)/m, 'SH330 arrives at {}.') },
      ],
      check: (e) => answerHas(e, '11:55'),
    },
    {
      id: 'travel-cheapest-business-lis',
      instruction: 'On SkyHop, what is the cheapest business class fare from Boston to Lisbon on 2026-12-20?',
      startPath: '/',
      steps: ['Search Boston to Lisbon in business', 'Compare the fares'],
      successCriteria: ['The answer states $1180'],
      plan: [
        ...chooseRoute('Boston (BOS)', 'Lisbon (LIS)', '2026-12-20'),
        { kind: 'check', target: 'Business' },
        { kind: 'click', role: 'button', target: 'Search flights' },
        {
          kind: 'answer',
          read: readBest(
            /^(SH\d+) .* — fare \$(\d+) per passenger$/m,
            'lowest',
            (m) => Number(m[2]),
            (m) => `The cheapest business fare is $${m[2]} (${m[1]}).`,
          ),
        },
      ],
      check: (e) => /1[,.]?180\b/.test(e.finalAnswer ?? ''),
    },
    {
      id: 'travel-no-lisbon-paris',
      kind: 'infeasible',
      instruction: 'On SkyHop, book the cheapest flight from Lisbon to Paris on 2026-12-20.',
      startPath: '/',
      steps: ['Search Lisbon to Paris on that day', 'See that there is no flight'],
      successCriteria: ['The answer says it is not possible'],
      plan: [
        ...chooseRoute('Lisbon (LIS)', 'Paris (CDG)', '2026-12-20'),
        { kind: 'click', role: 'button', target: 'Search flights' },
        {
          kind: 'answer',
          read: readFirst(
            /^## 0 flights found$/m,
            'SkyHop has no flight from Lisbon to Paris that day, so booking it is not possible.',
          ),
        },
      ],
      check: (e, s) =>
        /not possible|no flight/i.test(e.finalAnswer ?? '') &&
        ![...s.bookings.values()].some(
          (b) => b.flight.startsWith('SH') && /LIS/.test(JSON.stringify(b)) && /CDG/.test(JSON.stringify(b)),
        ),
    },
    impossibleTask({
      // Behind a bot challenge: the page never shows the deals to an automated visitor.
      id: 'travel-member-deals',
      obstacle: 'captcha',
      instruction: "On SkyHop, which destination has the biggest discount among this week's member deals?",
      startPath: '/member-deals',
      steps: ['Open the member deals', 'Find the biggest discount'],
      successCriteria: ['The answer names the destination with the biggest member discount'],
    }),
  ],
};
