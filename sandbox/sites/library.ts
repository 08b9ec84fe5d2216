// Riverside Library: a catalogue with a search form (field select), a results table, book pages,
// a reservation modal with a library card field, and opening hours inside a same-origin iframe.
import { impossibleTask } from '../obstacles.ts';
import { esc, layout } from '../html.ts';
import { answerHas, idFromUrl, type SandboxSite } from '../types.ts';
import { readFirst } from '../answerRules.ts';

interface Book {
  id: string;
  title: string;
  author: string;
  year: number;
  copies: number;
  shelf: string;
  subject: string;
}

const BOOKS: Book[] = [
  {
    id: 'b1',
    title: 'The Left Hand of Darkness',
    author: 'Ursula K. Le Guin',
    year: 1969,
    copies: 2,
    shelf: 'SF LEG',
    subject: 'Science fiction',
  },
  {
    id: 'b2',
    title: 'A Wizard of Earthsea',
    author: 'Ursula K. Le Guin',
    year: 1968,
    copies: 0,
    shelf: 'F LEG',
    subject: 'Fantasy',
  },
  {
    id: 'b3',
    title: 'Beloved',
    author: 'Toni Morrison',
    year: 1987,
    copies: 3,
    shelf: 'FIC MOR',
    subject: 'Literary fiction',
  },
  {
    id: 'b4',
    title: 'The Remains of the Day',
    author: 'Kazuo Ishiguro',
    year: 1989,
    copies: 1,
    shelf: 'FIC ISH',
    subject: 'Literary fiction',
  },
  {
    id: 'b5',
    title: 'Never Let Me Go',
    author: 'Kazuo Ishiguro',
    year: 2005,
    copies: 4,
    shelf: 'FIC ISH',
    subject: 'Literary fiction',
  },
  {
    id: 'b6',
    title: 'Silent Spring',
    author: 'Rachel Carson',
    year: 1962,
    copies: 2,
    shelf: '363.7 CAR',
    subject: 'Ecology',
  },
  {
    id: 'b7',
    title: 'Invisible Cities',
    author: 'Italo Calvino',
    year: 1972,
    copies: 1,
    shelf: 'FIC CAL',
    subject: 'Literary fiction',
  },
  {
    id: 'b8',
    title: 'The Dispossessed',
    author: 'Ursula K. Le Guin',
    year: 1974,
    copies: 1,
    shelf: 'SF LEG',
    subject: 'Science fiction',
  },
];

// Every subject the library files books under, most of them still empty: a sitemap in every page's footer.
const SUBJECTS = [
  'Art',
  'Biography',
  'Children',
  'Cookery',
  'Crime',
  'Drama',
  'Ecology',
  'Fantasy',
  'History',
  'Literary fiction',
  'Mathematics',
  'Music',
  'Philosophy',
  'Poetry',
  'Science fiction',
  'Travel',
];
const subjectSlug = (subject: string) => subject.toLowerCase().replace(/\s+/g, '-');

const HOURS: Array<[string, string]> = [
  ['Monday', '9:00 – 20:00'],
  ['Tuesday', '9:00 – 20:00'],
  ['Wednesday', '9:00 – 20:00'],
  ['Thursday', '9:00 – 20:00'],
  ['Friday', '9:00 – 18:00'],
  ['Saturday', '10:00 – 16:00'],
  ['Sunday', 'Closed'],
];

const page = (title: string, body: string, script?: string) =>
  layout({
    title: `${title} · Riverside Library`,
    brand: 'Riverside Library',
    nav: [
      ['/', 'Catalogue'],
      ['/visit', 'Visit us'],
      ['/staff/', 'Staff'],
    ],
    body,
    script,
    accent: '#6b2d5c',
    footerNav: {
      heading: 'Browse by subject',
      links: SUBJECTS.map((subject) => [`/subject/${subjectSlug(subject)}`, subject]),
    },
  });

function subjectPage(subject: string): string {
  const books = BOOKS.filter((b) => b.subject === subject);
  return page(
    subject,
    `<h1>Subject: ${esc(subject)}</h1>${books.length ? `<ul>${books.map((b) => `<li><a href="/book/${b.id}">${esc(b.title)}</a> by ${esc(b.author)} (${b.year})</li>`).join('')}</ul>` : '<p>No books under this subject yet.</p>'}`,
  );
}

function search(q: URLSearchParams): Book[] {
  const text = (q.get('q') ?? '').toLowerCase().trim();
  const field = q.get('field') === 'author' ? 'author' : 'title';
  return text ? BOOKS.filter((b) => b[field].toLowerCase().includes(text)) : [];
}

function home(q: URLSearchParams): string {
  const results = search(q);
  const table =
    q.get('q') === null
      ? ''
      : results.length
        ? `<p>${results.length} results for “${esc(q.get('q'))}”</p><table><thead><tr><th>Title</th><th>Author</th><th>Year</th><th>Available</th></tr></thead><tbody>${results.map((b) => `<tr><td><a href="/book/${b.id}">${esc(b.title)}</a></td><td>${esc(b.author)}</td><td>${b.year}</td><td>${b.copies ? `${b.copies} of ${b.copies + 1}` : 'On loan'}</td></tr>`).join('')}</tbody></table>`
        : `<p>No results for “${esc(q.get('q'))}”.</p>`;
  return page(
    'Catalogue',
    `<h1>Search the catalogue</h1>
<form action="/" method="get" class="card"><label for="q">Search terms</label><input id="q" name="q" value="${esc(q.get('q'))}">
<label for="field">Search in</label><select id="field" name="field"><option value="title"${q.get('field') !== 'author' ? ' selected' : ''}>Title</option><option value="author"${q.get('field') === 'author' ? ' selected' : ''}>Author</option></select>
<button type="submit">Search catalogue</button></form>${table}`,
  );
}

function bookPage(b: Book, error = ''): string {
  return page(
    b.title,
    `<p><a href="javascript:history.back()">← Back to results</a></p><h1>${esc(b.title)}</h1>
<dl><dt>Author</dt><dd>${esc(b.author)}</dd><dt>Published</dt><dd>${b.year}</dd><dt>Shelf mark</dt><dd>${esc(b.shelf)}</dd><dt>Copies available</dt><dd>${b.copies}</dd></dl>
<button type="button" id="reserve">Reserve this book</button>
<div id="modal" class="modal-backdrop" ${error ? '' : 'hidden'}><div class="modal" role="dialog" aria-modal="true" aria-labelledby="rt">
<h2 id="rt">Reserve “${esc(b.title)}”</h2><form method="post" action="/reserve"><input type="hidden" name="book" value="${b.id}">
<label for="card">Library card number</label><input id="card" name="card" inputmode="numeric" placeholder="8 digits">
<div class="error" role="alert">${esc(error)}</div><button type="submit">Confirm reservation</button> <button type="button" id="cancel">Cancel</button></form></div></div>`,
    `
document.getElementById('reserve').addEventListener('click', () => { document.getElementById('modal').hidden = false; document.getElementById('card').focus(); });
document.getElementById('cancel').addEventListener('click', () => { document.getElementById('modal').hidden = true; });`,
  );
}

export const library: SandboxSite = {
  name: 'library',
  title: 'Riverside Library',
  description:
    'Public library catalogue: search, availability, reservations, opening hours in an iframe; staff pages closed to robots.',
  // The staff pages are closed to automated visitors: a polite agent never loads them.
  robots: { disallow: ['/staff/'], crawlDelayS: 0.2 },
  routes: [
    (req) => (req.path === '/' ? { html: home(req.query) } : undefined),
    (req) => {
      const slug = /^\/subject\/([\w-]+)$/.exec(req.path)?.[1];
      if (!slug) return undefined;
      const subject = SUBJECTS.find((x) => subjectSlug(x) === slug);
      return subject
        ? { html: subjectPage(subject) }
        : { status: 404, html: page('Not found', '<h1>No such subject</h1>') };
    },
    (req) => {
      const id = /^\/book\/(\w+)$/.exec(req.path)?.[1];
      if (!id) return undefined;
      const b = BOOKS.find((x) => x.id === id);
      return b ? { html: bookPage(b) } : { status: 404, html: page('Not found', '<h1>Book not found</h1>') };
    },
    (req, state) => {
      if (req.path !== '/reserve' || req.method !== 'POST') return undefined;
      const b = BOOKS.find((x) => x.id === req.form.get('book'));
      if (!b) return { status: 400, html: page('Error', '<h1>Unknown book</h1>') };
      const card = (req.form.get('card') ?? '').replace(/\s/g, '');
      if (!/^\d{8}$/.test(card)) return { status: 422, html: bookPage(b, 'A library card number has 8 digits') };
      const id = state.newId('RL');
      state.reservations.set(id, { id, sid: req.sid, bookId: b.id, card });
      return { redirect: `/reservation/${id}` };
    },
    (req, state) => {
      const id = /^\/reservation\/([\w-]+)$/.exec(req.path)?.[1];
      if (!id) return undefined;
      const r = state.reservations.get(id);
      const b = BOOKS.find((x) => x.id === r?.bookId);
      return r && b
        ? {
            html: page(
              'Reserved',
              `<h1>Reservation ${esc(id)}</h1><p>“${esc(b.title)}” is reserved for card ending ${esc(r.card.slice(-4))}. We will email you when it is ready.</p>`,
            ),
          }
        : { status: 404, html: page('Not found', '<h1>No such reservation</h1>') };
    },
    (req) =>
      req.path === '/visit'
        ? {
            html: page(
              'Visit us',
              `<h1>Visit us</h1><p>12 Mill Lane, Riverside.</p><iframe src="/hours" title="Opening hours" width="420" height="300" style="border:1px solid #ccc"></iframe>`,
            ),
          }
        : undefined,
    (req) =>
      req.path === '/staff/'
        ? {
            html: page(
              'Staff',
              '<h1>Our staff</h1><p>Head librarian: Margaret Okafor.</p><p>Children’s library: Tomas Lind.</p>',
            ),
          }
        : undefined,
    (req) =>
      req.path === '/hours'
        ? {
            html: `<!doctype html><html><head><title>Opening hours</title></head><body><h2>Opening hours</h2><table>${HOURS.map(([d, h]) => `<tr><th>${d}</th><td>${h}</td></tr>`).join('')}</table><p><a href="/visit" target="_top">Accessibility information</a></p></body></html>`,
          }
        : undefined,
  ],
  tasks: [
    {
      id: 'library-author',
      instruction: 'In the Riverside Library catalogue, who wrote “Invisible Cities”?',
      startPath: '/',
      steps: ['Search titles for Invisible Cities', 'Read the author'],
      successCriteria: ['The answer names Italo Calvino'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Invisible Cities' },
        { kind: 'click', role: 'button', target: 'Search catalogue' },
        {
          kind: 'answer',
          read: readFirst(/link "Invisible Cities"[^\n]*\n\| ([^|\n]+) \|/, '{} wrote Invisible Cities.'),
        },
      ],
      check: (e) => answerHas(e, 'calvino'),
    },
    {
      id: 'library-count-le-guin',
      instruction: 'How many books by Ursula K. Le Guin does the Riverside Library catalogue list?',
      startPath: '/',
      steps: ['Search authors for Le Guin', 'Count the results'],
      successCriteria: ['The answer is 3'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Le Guin' },
        { kind: 'select', target: 'Search in', value: 'Author' },
        { kind: 'click', role: 'button', target: 'Search catalogue' },
        {
          kind: 'answer',
          read: readFirst(/^(\d+) results? for/m, 'The catalogue lists {} books by Ursula K. Le Guin.'),
        },
      ],
      check: (e) => /\b3\b|three/i.test(e.finalAnswer ?? ''),
    },
    {
      id: 'library-reserve',
      kind: 'state',
      instruction: 'Reserve “Never Let Me Go” at the Riverside Library with library card number 20481234.',
      startPath: '/',
      steps: ['Search for the title', 'Open the book', 'Reserve with the card number'],
      successCriteria: ['A reservation of Never Let Me Go for card 20481234'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Never Let Me Go', submit: true },
        { kind: 'click', role: 'link', target: 'Never Let Me Go' },
        { kind: 'click', role: 'button', target: 'Reserve this book' },
        { kind: 'type', target: 'Library card number', value: '20481234' },
        { kind: 'click', role: 'button', target: 'Confirm reservation' },
        { kind: 'answer', read: readFirst(/^# Reservation (\w+)$/m, 'Reserved ({}).') },
      ],
      check: (e, s) => {
        const r = s.reservations.get(idFromUrl(e.finalUrl, 'reservation') ?? '');
        return Boolean(r && r.bookId === 'b5' && r.card === '20481234');
      },
    },
    {
      id: 'library-saturday-hours',
      instruction: 'When does the Riverside Library open on Saturdays?',
      startPath: '/',
      steps: ['Open Visit us', 'Read Saturday in the opening hours'],
      successCriteria: ['The answer states 10:00'],
      plan: [
        { kind: 'click', role: 'link', target: 'Visit us' },
        { kind: 'answer', read: readFirst(/Saturday \| ([^|\n]+)/, 'On Saturdays it is open {}.') },
      ],
      check: (e) => answerHas(e, '10:00'),
    },
    {
      id: 'library-year',
      instruction: 'In which year was “Silent Spring” published, according to the Riverside Library catalogue?',
      startPath: '/',
      steps: ['Search for Silent Spring', 'Read the year'],
      successCriteria: ['The answer states 1962'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Silent Spring', submit: true },
        { kind: 'click', role: 'link', target: 'Silent Spring' },
        { kind: 'answer', read: readFirst(/^Published\n(\d{4})$/m, 'Silent Spring was published in {}.') },
      ],
      check: (e) => answerHas(e, '1962'),
    },
    {
      id: 'library-year-earthsea',
      instruction: 'According to the Riverside Library catalogue, in which year was “A Wizard of Earthsea” published?',
      startPath: '/',
      steps: ['Search for the book', 'Open it', 'Read the year'],
      successCriteria: ['The answer states 1968'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'A Wizard of Earthsea', submit: true },
        { kind: 'click', role: 'link', target: 'A Wizard of Earthsea' },
        { kind: 'answer', read: readFirst(/^Published\n(\d{4})$/m, 'It was published in {}.') },
      ],
      check: (e) => answerHas(e, '1968'),
    },
    {
      id: 'library-shelf-silent-spring',
      instruction: 'What is the shelf mark of “Silent Spring” at the Riverside Library?',
      startPath: '/',
      steps: ['Search for the book', 'Open it', 'Read the shelf mark'],
      successCriteria: ['The answer states 363.7 CAR'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Silent Spring', submit: true },
        { kind: 'click', role: 'link', target: 'Silent Spring' },
        { kind: 'answer', read: readFirst(/^Shelf mark\n(.+)$/m, 'Its shelf mark is {}.') },
      ],
      check: (e) => answerHas(e, '363.7 car'),
    },
    {
      id: 'library-subject-ecology',
      instruction: 'Which book does the Riverside Library catalogue list under the subject Ecology?',
      startPath: '/',
      steps: ['Open the list of subjects', 'Open Ecology', 'Read the book listed'],
      successCriteria: ['The answer names Silent Spring'],
      plan: [
        { kind: 'click', role: 'group', target: 'Browse by subject' },
        { kind: 'click', role: 'link', target: 'Ecology' },
        { kind: 'answer', read: readFirst(/^# Subject: Ecology\n\[\d+\] link "([^"]+)"/m, 'It lists {}.') },
      ],
      check: (e) => answerHas(e, 'silent spring'),
    },
    {
      id: 'library-sunday',
      instruction: 'Is the Riverside Library open on Sundays?',
      startPath: '/',
      steps: ['Open the visiting page', "Read Sunday's hours"],
      successCriteria: ['The answer says it is closed'],
      plan: [
        { kind: 'click', role: 'link', target: 'Visit us' },
        { kind: 'answer', read: readFirst(/Sunday \| ([^|\n]+)/, 'On Sundays it is {}.') },
      ],
      check: (e) => answerHas(e, 'closed'),
    },
    {
      id: 'library-no-harry-potter',
      kind: 'infeasible',
      instruction:
        "Reserve “Harry Potter and the Philosopher's Stone” at the Riverside Library with library card number 20481234.",
      startPath: '/',
      steps: ['Search the catalogue for the book', 'See that the library does not hold it'],
      successCriteria: ['The answer says it is not available'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Harry Potter', submit: true },
        {
          kind: 'answer',
          read: readFirst(/^No results for/m, 'The catalogue does not hold it, so it is not available to reserve.'),
        },
      ],
      check: (e, s) =>
        /not available|does not hold|not in the catalogue/i.test(e.finalAnswer ?? '') &&
        ![...s.reservations.values()].some((r) => /potter/i.test(JSON.stringify(r))),
    },
    impossibleTask({
      // The site's robots.txt closes the staff pages: the task starts on one, so it cannot be done politely.
      id: 'library-staff-head',
      obstacle: 'robots',
      instruction: 'Who is the head librarian of the Riverside Library, according to its staff pages?',
      startPath: '/staff/',
      steps: ['Open the staff pages', 'Read who the head librarian is'],
      successCriteria: ['The answer names the head librarian'],
    }),
  ],
  followUps: [
    {
      // A harder task that asks for what the site does not show: a realistic refiner mistake, repaired next round.
      id: 'library-calvino-holds',
      parent: 'library-author',
      after: 'success',
      unanswerable: true,
      reason: "The agent found the author; asking about the book's hold queue goes one page deeper.",
      instruction:
        'At the Riverside Library, how many people are waiting in the hold queue for the book by Italo Calvino?',
      startPath: '/',
      steps: ['Search authors for Calvino', 'Open the book', 'Read the hold queue'],
      successCriteria: ['The answer states how many people are waiting'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Calvino' },
        { kind: 'select', target: 'Search in', value: 'Author' },
        { kind: 'click', role: 'button', target: 'Search catalogue' },
        { kind: 'click', role: 'link', target: 'Invisible Cities' },
        { kind: 'answer', read: readFirst(/^Hold queue\n(\d+)$/m, '{} people are waiting.') },
      ],
      check: () => false,
    },
    {
      id: 'library-shelf-calvino',
      parent: 'library-calvino-holds',
      after: 'failure',
      reason: 'The book page shows no hold queue; the shelf mark it does show makes the task feasible.',
      instruction: 'At the Riverside Library, what is the shelf mark of the book by Italo Calvino?',
      startPath: '/',
      steps: ['Search authors for Calvino', 'Open the book', 'Read the shelf mark'],
      successCriteria: ['The answer states FIC CAL'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Calvino' },
        { kind: 'select', target: 'Search in', value: 'Author' },
        { kind: 'click', role: 'button', target: 'Search catalogue' },
        { kind: 'click', role: 'link', target: 'Invisible Cities' },
        { kind: 'answer', read: readFirst(/^Shelf mark\n(.+)$/m, 'Its shelf mark is {}.') },
      ],
      check: (e) => answerHas(e, 'fic cal'),
    },
    {
      id: 'library-carson-copies',
      parent: 'library-year',
      after: 'success',
      reason:
        'The agent read a year from a book page; finding the book by its author first and reading its availability takes more steps.',
      instruction: "How many copies of Rachel Carson's book are available at the Riverside Library right now?",
      startPath: '/',
      steps: ['Search authors for Carson', 'Open the book', 'Read the copies available'],
      successCriteria: ['The answer states 2'],
      plan: [
        { kind: 'type', target: 'Search terms', value: 'Carson' },
        { kind: 'select', target: 'Search in', value: 'Author' },
        { kind: 'click', role: 'button', target: 'Search catalogue' },
        { kind: 'click', role: 'link', target: 'Silent Spring' },
        { kind: 'answer', read: readFirst(/^Copies available\n(\d+)$/m, '{} copies are available.') },
      ],
      check: (e) => /\b2\b|two/i.test(e.finalAnswer ?? ''),
    },
  ],
};
