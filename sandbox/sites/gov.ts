// City Permit Office: a four-step government-style application (details, address, permit with a
// custom ARIA checkbox and switch, review) with server-side validation messages, and a fees page.
import { impossibleTask, rateLimited } from '../obstacles.ts';
import { esc, layout } from '../html.ts';
import type { SandboxState } from '../state.ts';
import { answerHas, idFromUrl, type SandboxRequest, type SandboxSite } from '../types.ts';
import { readFirst } from '../answerRules.ts';

const PERMITS: Array<[string, string, string]> = [
  ['parking', 'Residential parking permit', '£60 per year'],
  ['fishing', 'River fishing licence', '£25 per season'],
  ['party', 'Street party permit', 'Free'],
];

const page = (title: string, body: string, script?: string) =>
  layout({
    title: `${title} · City Permit Office`,
    brand: 'City Permit Office',
    nav: [
      ['/', 'Home'],
      ['/apply/1', 'Apply'],
      ['/fees', 'Fees'],
    ],
    body,
    script,
    accent: '#00703c',
  });

const draft = (state: SandboxState, req: SandboxRequest) => {
  let d = state.drafts.get(req.sid);
  if (!d) state.drafts.set(req.sid, (d = {}));
  return d;
};

function stepPage(step: number, d: Record<string, string>, errors: Record<string, string> = {}): string {
  const field = (
    id: string,
    label: string,
    type = 'text',
    hint = '',
  ) => `<label for="${id}">${label}</label>${hint ? `<div class="hint" id="${id}-hint">${hint}</div>` : ''}
<input id="${id}" name="${id}" type="${type}" value="${esc(d[id])}" ${hint ? `aria-describedby="${id}-hint"` : ''}>${errors[id] ? `<div class="error" role="alert">${esc(errors[id])}</div>` : ''}`;
  const summary = Object.keys(errors).length
    ? `<div class="card error" role="alert"><h2>There is a problem</h2><ul>${Object.values(errors)
        .map((e) => `<li>${esc(e)}</li>`)
        .join('')}</ul></div>`
    : '';
  const progress = `<p>Step ${step} of 4</p>`;
  let body = '';
  let script: string | undefined;
  if (step === 1)
    body = `<h1>Your details</h1>${field('fullName', 'Full name')}${field('dob', 'Date of birth', 'date')}${field('email', 'Email address', 'email')}`;
  if (step === 2)
    body = `<h1>Your address</h1>${field('street', 'Street address')}${field('city', 'Town or city')}${field('postcode', 'Postcode', 'text', 'For example, AB1 2CD')}`;
  if (step === 3) {
    body = `<h1>Which permit do you need?</h1><fieldset><legend>Permit</legend>${PERMITS.map(([v, label]) => `<label><input type="radio" name="permit" value="${v}" ${d.permit === v ? 'checked' : ''}> ${label}</label>`).join('')}</fieldset>
${errors.permit ? `<div class="error" role="alert">${esc(errors.permit)}</div>` : ''}
<div role="checkbox" tabindex="0" id="declare" aria-checked="${d.declare === 'yes'}" aria-labelledby="declare-label">${d.declare === 'yes' ? '☑' : '☐'}</div> <span id="declare-label">I declare the information I have given is correct</span>
${errors.declare ? `<div class="error" role="alert">${esc(errors.declare)}</div>` : ''}
<div><span id="updates-label">Email me updates</span> <button type="button" role="switch" id="updates" aria-checked="${d.updates === 'yes'}" aria-labelledby="updates-label">${d.updates === 'yes' ? 'On' : 'Off'}</button></div>
<input type="hidden" name="declare" id="declare-value" value="${d.declare === 'yes' ? 'yes' : ''}"><input type="hidden" name="updates" id="updates-value" value="${d.updates === 'yes' ? 'yes' : ''}">`;
    script = `
for (const [id, hidden] of [['declare', 'declare-value'], ['updates', 'updates-value']]) {
  const el = document.getElementById(id);
  const toggle = () => { const on = el.getAttribute('aria-checked') !== 'true'; el.setAttribute('aria-checked', String(on)); document.getElementById(hidden).value = on ? 'yes' : '';
    if (id === 'declare') el.textContent = on ? '☑' : '☐'; else el.textContent = on ? 'On' : 'Off'; };
  el.addEventListener('click', toggle); el.addEventListener('keydown', (e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); toggle(); } });
}`;
  }
  if (step === 4) {
    const permit = PERMITS.find(([v]) => v === d.permit);
    body = `<h1>Check your answers</h1><dl>${[
      ['Name', d.fullName],
      ['Date of birth', d.dob],
      ['Email', d.email],
      ['Address', `${d.street}, ${d.city} ${d.postcode}`],
      ['Permit', permit?.[1]],
      ['Updates by email', d.updates === 'yes' ? 'Yes' : 'No'],
    ]
      .map(([k, v]) => `<dt>${k}</dt><dd>${esc(v)}</dd>`)
      .join('')}</dl>`;
  }
  const back = step > 1 ? `<a href="/apply/${step - 1}">Back</a> ` : '';
  return page(
    `Apply — step ${step}`,
    `${progress}${summary}<form method="post" action="/apply/${step}" novalidate>${body}<p>${back}<button type="submit">${step === 4 ? 'Submit application' : 'Continue'}</button></p></form>`,
    script,
  );
}

function validate(
  step: number,
  f: URLSearchParams,
): { values: Record<string, string>; errors: Record<string, string> } {
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  const take = (k: string) => (values[k] = (f.get(k) ?? '').trim());
  if (step === 1) {
    if (!take('fullName')) errors.fullName = 'Enter your full name';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(take('dob'))) errors.dob = 'Enter your date of birth';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(take('email')))
      errors.email = 'Enter an email address in the correct format, like name@example.com';
  }
  if (step === 2) {
    if (!take('street')) errors.street = 'Enter your street address';
    if (!take('city')) errors.city = 'Enter your town or city';
    if (!/^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$/i.test(take('postcode')))
      errors.postcode = 'Enter a real postcode, like AB1 2CD';
  }
  if (step === 3) {
    if (!PERMITS.some(([v]) => v === take('permit'))) errors.permit = 'Select the permit you need';
    if (take('declare') !== 'yes') errors.declare = 'You must declare that the information is correct';
    take('updates');
  }
  return { values, errors };
}

export const gov: SandboxSite = {
  name: 'gov',
  title: 'City Permit Office',
  description: 'Government-style service: a multi-step permit application with validation, and a fees page.',
  routes: [
    rateLimited,
    (req) =>
      req.path === '/'
        ? {
            html: page(
              'Home',
              `<h1>Apply for a permit</h1><p>Use this service to apply for a parking permit, a fishing licence or a street party permit.</p><a href="/apply/1">Start now</a> <p><a href="/fees">Permit fees</a></p>`,
            ),
          }
        : undefined,
    (req) =>
      req.path === '/fees'
        ? {
            html: page(
              'Fees',
              `<h1>Permit fees</h1><table><tr><th>Permit</th><th>Fee</th></tr>${PERMITS.map(([, label, fee]) => `<tr><td>${label}</td><td>${fee}</td></tr>`).join('')}</table>`,
            ),
          }
        : undefined,
    (req, state) => {
      const step = Number(/^\/apply\/([1-4])$/.exec(req.path)?.[1] ?? 0);
      if (!step) return undefined;
      const d = draft(state, req);
      if (req.method !== 'POST') return { html: stepPage(step, d) };
      if (step < 4) {
        const { values, errors } = validate(step, req.form);
        Object.assign(d, values);
        if (Object.keys(errors).length) return { status: 422, html: stepPage(step, d, errors) };
        return { redirect: `/apply/${step + 1}` };
      }
      for (const s of [1, 2, 3]) {
        if (Object.keys(validate(s, new URLSearchParams(d)).errors).length) return { redirect: `/apply/${s}` };
      }
      const id = state.newId('CPO-');
      state.applications.set(id, {
        id,
        sid: req.sid,
        permit: d.permit!,
        name: d.fullName!,
        dob: d.dob!,
        email: d.email!,
        street: d.street!,
        city: d.city!,
        postcode: d.postcode!.toUpperCase(),
      });
      state.drafts.delete(req.sid);
      return { redirect: `/application/${id}` };
    },
    (req, state) => {
      const id = /^\/application\/([\w-]+)$/.exec(req.path)?.[1];
      if (!id) return undefined;
      const a = state.applications.get(id);
      return a
        ? {
            html: page(
              'Application sent',
              `<h1>Application complete</h1><p>Your reference number is <strong>${esc(id)}</strong>.</p><p>We have sent a confirmation to ${esc(a.email)}.</p>`,
            ),
          }
        : { status: 404, html: page('Not found', '<h1>No such application</h1>') };
    },
  ],
  tasks: [
    {
      id: 'gov-parking-permit',
      kind: 'state',
      instruction:
        'Apply to the City Permit Office for a residential parking permit for Mary Jackson, born 1921-04-09, email mary@example.com, living at 4 Langley Road, Hampton, postcode HA1 4AB.',
      startPath: '/',
      steps: [
        'Start the application',
        'Enter the personal details',
        'Enter the address',
        'Choose the parking permit and declare',
        'Submit',
      ],
      successCriteria: ['A parking permit application for Mary Jackson with that address'],
      plan: [
        { kind: 'click', role: 'link', target: 'Start now' },
        { kind: 'type', target: 'Full name', value: 'Mary Jackson' },
        { kind: 'type', target: 'Date of birth', value: '1921-04-09' },
        { kind: 'type', target: 'Email address', value: 'mary@example.com' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'type', target: 'Street address', value: '4 Langley Road' },
        { kind: 'type', target: 'Town or city', value: 'Hampton' },
        { kind: 'type', target: 'Postcode', value: 'HA1 4AB' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'check', target: 'Residential parking permit' },
        { kind: 'check', role: 'checkbox', target: 'I declare the information I have given is correct' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'click', role: 'button', target: 'Submit application' },
        { kind: 'answer', read: readFirst(/reference number is ([\w-]+)/, 'Application submitted, reference {}.') },
      ],
      check: (e, s) => {
        const a = s.applications.get(idFromUrl(e.finalUrl, 'application') ?? '');
        return Boolean(
          a &&
          a.permit === 'parking' &&
          a.name === 'Mary Jackson' &&
          a.dob === '1921-04-09' &&
          a.street === '4 Langley Road' &&
          a.city === 'Hampton' &&
          a.postcode === 'HA1 4AB',
        );
      },
    },
    {
      id: 'gov-fishing-fee',
      instruction: 'How much does a river fishing licence cost at the City Permit Office?',
      startPath: '/',
      steps: ['Open the fees page', 'Read the fishing licence fee'],
      successCriteria: ['The answer states £25 per season'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        { kind: 'answer', read: readFirst(/River fishing licence \| ([^|\n]+)/, 'A river fishing licence costs {}.') },
      ],
      check: (e) => answerHas(e, '25'),
    },
    {
      id: 'gov-street-party',
      kind: 'state',
      instruction:
        'Apply to the City Permit Office for a street party permit for Katherine Johnson, born 1918-08-26, email kj@example.com, at 9 Orbit Lane, Newport, postcode NP1 9ZZ, and ask for email updates.',
      startPath: '/',
      steps: ['Enter details and address', 'Choose the street party permit, declare, turn on updates', 'Submit'],
      successCriteria: ['A street party application for Katherine Johnson'],
      plan: [
        { kind: 'click', role: 'link', target: 'Start now' },
        { kind: 'type', target: 'Full name', value: 'Katherine Johnson' },
        { kind: 'type', target: 'Date of birth', value: '1918-08-26' },
        { kind: 'type', target: 'Email address', value: 'kj@example.com' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'type', target: 'Street address', value: '9 Orbit Lane' },
        { kind: 'type', target: 'Town or city', value: 'Newport' },
        { kind: 'type', target: 'Postcode', value: 'NP1 9ZZ' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'check', target: 'Street party permit' },
        { kind: 'check', role: 'checkbox', target: 'I declare the information I have given is correct' },
        { kind: 'click', role: 'switch', target: 'Email me updates' },
        { kind: 'click', role: 'button', target: 'Continue' },
        { kind: 'click', role: 'button', target: 'Submit application' },
        { kind: 'answer', read: readFirst(/reference number is ([\w-]+)/, 'Application submitted, reference {}.') },
      ],
      check: (e, s) => {
        const a = s.applications.get(idFromUrl(e.finalUrl, 'application') ?? '');
        return Boolean(a && a.permit === 'party' && a.name === 'Katherine Johnson' && a.postcode === 'NP1 9ZZ');
      },
    },
    {
      id: 'gov-parking-fee',
      instruction: 'What is the yearly fee for a residential parking permit at the City Permit Office?',
      startPath: '/',
      steps: ['Open the fees page'],
      successCriteria: ['The answer states £60'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        { kind: 'answer', read: readFirst(/Residential parking permit \| ([^|\n]+)/, 'It costs {}.') },
      ],
      check: (e) => answerHas(e, '60'),
    },
    {
      id: 'gov-party-fee',
      instruction: 'Is there a fee for a street party permit at the City Permit Office?',
      startPath: '/',
      steps: ['Open the fees page'],
      successCriteria: ['The answer says it is free'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        {
          kind: 'answer',
          read: readFirst(/Street party permit \| ([^|\n]+)/, 'The fee for a street party permit: {}.'),
        },
      ],
      check: (e) => answerHas(e, 'free'),
    },
    {
      id: 'gov-permit-kinds',
      instruction: 'How many kinds of permit does the City Permit Office list on its fees page?',
      startPath: '/',
      steps: ['Open the fees page', 'Count the permits'],
      successCriteria: ['The answer is 3'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        {
          kind: 'answer',
          read: (page) => {
            const rows = page.split('\n').filter((l) => /^\| [^|]+ \| [^|]+$/.test(l) && !/^\| Permit \| Fee$/.test(l));
            return rows.length ? `It lists ${rows.length} kinds of permit.` : null;
          },
        },
      ],
      check: (e) => /\b3\b|three/i.test(e.finalAnswer ?? ''),
    },
    {
      id: 'gov-no-passport',
      kind: 'infeasible',
      instruction: 'Apply to the City Permit Office for a passport for Mary Jackson.',
      startPath: '/',
      steps: ['Open the fees page', 'See that passports are not among the permits'],
      successCriteria: ['The answer says it is not possible'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        {
          kind: 'answer',
          read: (page) =>
            /^# Permit fees$/m.test(page) && !/passport/i.test(page)
              ? 'The City Permit Office does not issue passports, so applying for one there is not possible.'
              : null,
        },
      ],
      check: (e, s) =>
        /not possible|does not issue/i.test(e.finalAnswer ?? '') &&
        ![...s.applications.values()].some((a) => /passport/i.test(JSON.stringify(a))),
    },
    impossibleTask({
      // Rate limited: the booking page answers 429 with Retry-After to every visit.
      id: 'gov-first-appointment',
      obstacle: 'rate_limited',
      instruction: 'At the permit office, what is the first free appointment slot for an in-person visit?',
      startPath: '/appointments',
      steps: ['Open the appointments page', 'Read the first free slot'],
      successCriteria: ['The answer gives the first free appointment slot'],
    }),
  ],
  followUps: [
    {
      // Proposed from an exploration that reached the fees page (the home page names no price).
      id: 'gov-parking-over-fishing',
      parent: '/fees',
      after: 'explored',
      reason: 'The fees page the exploration reached lists every permit with its price.',
      instruction:
        'At the City Permit Office, how much more does a residential parking permit cost than a river fishing licence?',
      startPath: '/',
      steps: ['Open the fees page', 'Subtract the fishing licence fee from the parking permit fee'],
      successCriteria: ['The answer states £35'],
      plan: [
        { kind: 'click', role: 'link', target: 'Permit fees' },
        {
          kind: 'answer',
          read: (page) => {
            const fee = (label: string) => Number(new RegExp(`${label} \\| £(\\d+)`).exec(page)?.[1] ?? NaN);
            const difference = fee('Residential parking permit') - fee('River fishing licence');
            return Number.isFinite(difference) ? `It costs £${difference} more.` : null;
          },
        },
      ],
      check: (e) => answerHas(e, '35'),
    },
    {
      id: 'gov-first-question',
      parent: '/apply/1',
      after: 'explored',
      reason: 'The exploration opened the application form, whose first page asks for personal details.',
      instruction: "What is the first thing the City Permit Office's permit application asks for?",
      startPath: '/',
      steps: ['Start the application', 'Read the first field'],
      successCriteria: ['The answer states Full name'],
      plan: [
        { kind: 'click', role: 'link', target: 'Start now' },
        { kind: 'answer', read: readFirst(/textbox "([^"]+)"/, 'It asks first for your {}.') },
      ],
      check: (e) => answerHas(e, 'full name'),
    },
  ],
};
