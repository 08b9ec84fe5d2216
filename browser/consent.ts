// Cookie-consent popups, answered the way a careful person would: DuckDuckGo's autoconsent (the library
// behind its browsers' "Cookie Pop-up Protection", ~800 maintained rules for the real consent managers)
// finds the consent manager on a page and opts out. It runs in the session's isolated world, so the page
// can neither see nor talk to it; its messages are read from there, and the few rule checks that need the
// page's own globals are answered by evaluating the library's snippets in the page. What stays (a wall no
// rule opens, an opt-out that fails) makes the page not executable (obstacles.ts).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type Config,
  type ContentScriptMessage,
  filterCompactRules,
  type IndexedCMPRuleset,
} from '@duckduckgo/autoconsent';

const require = createRequire(import.meta.url);
// The package exports its rules but not its folder: the content script and version sit beside them.
const compactRulesPath = require.resolve('@duckduckgo/autoconsent/rules/compact-rules.json');
const packageDir = path.dirname(path.dirname(compactRulesPath));

export const AUTOCONSENT_VERSION = (
  JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }
).version;

/** The library's content script for Playwright (defines autoconsentReceiveMessage where it runs). */
const CONTENT_SCRIPT = readFileSync(path.join(packageDir, 'dist', 'autoconsent.playwright.js'), 'utf8');

const compactRules = JSON.parse(readFileSync(compactRulesPath, 'utf8')) as IndexedCMPRuleset;

/** The library's configuration: opt out, no hiding first, one detection pass (the page has settled when it runs). */
const CONFIG: Config = {
  enabled: true,
  autoAction: 'optOut',
  disabledCmps: [],
  enablePrehide: false,
  enableCosmeticRules: true,
  enableGeneratedRules: true,
  enableHeuristicDetection: false,
  enablePopupMutationObserver: false,
  detectRetries: 0,
  isMainWorld: false,
  visualTest: false,
  heuristicMode: 'off',
  prehideTimeout: 0,
  performanceLoggingEnabled: false,
  heuristicPopupSearchTimeout: 100,
  logs: {
    lifecycle: false,
    rulesteps: false,
    detectionsteps: false,
    evals: false,
    errors: false,
    messages: false,
    waits: false,
  },
};

/** The message queue the library writes to, and the script itself, once per document; false if already there. */
export const CONSENT_START_SOURCE = `(() => {
  if (globalThis.__webtrailConsent) return false;
  const queue = [];
  globalThis.__webtrailConsent = queue;
  globalThis.autoconsentSendMessage = (message) => {
    if (queue.length < 200) queue.push(JSON.parse(JSON.stringify(message)));
    return Promise.resolve();
  };
  ${CONTENT_SCRIPT}
  return true;
})()`;

/** Takes the library's messages written since the last call. */
export const CONSENT_DRAIN_SOURCE = `(globalThis.__webtrailConsent || []).splice(0)`;

/** The rules that can apply at this address (site-specific ones for other sites left out), kept per origin. */
const rulesByOrigin = new Map<string, string>();
function rulesFor(url: string): string {
  let origin = url;
  try {
    origin = new URL(url).origin;
  } catch {
    // not a URL: filtered as given
  }
  let rules = rulesByOrigin.get(origin);
  if (rules === undefined) {
    rules = JSON.stringify(filterCompactRules(compactRules, { url, mainFrame: true }));
    if (rulesByOrigin.size >= 500) rulesByOrigin.clear();
    rulesByOrigin.set(origin, rules);
  }
  return rules;
}

/** The library's answer to its first message: the configuration and the rules for this page. */
export function initReplySource(url: string): string {
  return `autoconsentReceiveMessage({ type: 'initResp', config: ${JSON.stringify(CONFIG)}, rules: { compact: ${rulesFor(url)} } })`;
}

/** The answer to one of its rule checks that needed the page's globals. */
export function evalReplySource(id: string, result: boolean): string {
  return `autoconsentReceiveMessage(${JSON.stringify({ type: 'evalResp', id, result })})`;
}

export type ConsentMessage = ContentScriptMessage;

/** How a page's consent popup went: none found, opted out of, or one that stayed. */
export interface ConsentOutcome {
  /** The consent manager's rule name (autoconsent's), or null when none was found. */
  cmp: string | null;
  /** Its popup was open on the page. */
  popup: boolean;
  /** Opted out and the popup gone (true), the opt-out failed (false), not tried or not finished (null). */
  optedOut: boolean | null;
  /** Nothing more will come: no consent manager, or the opt-out ended. */
  finished: boolean;
}

export const NO_CONSENT: ConsentOutcome = { cmp: null, popup: false, optedOut: null, finished: false };

/** The outcome after some more of the library's messages (a pure fold over what it said). */
export function consentProgress(outcome: ConsentOutcome, messages: readonly ConsentMessage[]): ConsentOutcome {
  let next = outcome;
  for (const message of messages) {
    if (message.type === 'cmpDetected') next = { ...next, cmp: next.cmp ?? message.cmp };
    else if (message.type === 'popupFound') next = { ...next, cmp: message.cmp, popup: true };
    else if (message.type === 'optOutResult')
      next = { ...next, cmp: message.cmp, optedOut: message.result, finished: !message.result || next.finished };
    else if (message.type === 'autoconsentDone') next = { ...next, optedOut: true, finished: true };
    else if (message.type === 'report') {
      const lifecycle = message.state.lifecycle;
      if (lifecycle === 'nothingDetected' || lifecycle === 'optOutFailed' || lifecycle === 'done')
        next = { ...next, finished: true, ...(lifecycle === 'optOutFailed' ? { optedOut: false } : {}) };
    }
  }
  return next;
}

/** How long a session gives the library: to find a popup once it found a consent manager, and to opt out. */
export const CONSENT_POPUP_WAIT_MS = 1500;
export const CONSENT_LIMIT_MS = 6000;
