// A judge version names a dataset folder and a consumer group, so it is checked wherever it enters
// (settings, `replay --judge-version`, verdicts off the topic) and turned into names that cannot escape
// the datasets folder or collide with another version's.

const MAX_LENGTH = 200;
/** Model names such as org/model:tag and prompt ids such as judge.v1, joined by @. */
const ALLOWED = /^[A-Za-z0-9_.@+:/-]+$/;

/** Why a judge version cannot be used, or null when it can. */
export function judgeVersionProblem(version: string): string | null {
  if (version.length === 0) return 'a judge version cannot be empty';
  if (version.length > MAX_LENGTH)
    return `a judge version has at most ${MAX_LENGTH} characters (this one has ${version.length})`;
  if (!ALLOWED.test(version)) return 'a judge version has letters, digits and . _ @ + : / - only';
  if (/^\.+$/.test(version))
    return 'a judge version cannot be made of dots only (it would name a folder outside the datasets)';
  return null;
}

/** Characters kept as they are in folder and group names; every other byte is written %XX. */
const KEPT = /[A-Za-z0-9_.@+-]/;

/**
 * The folder (and consumer-group suffix) of a judge version. One-to-one: every byte outside the kept
 * set, '%' included, is written %XX, so two versions never share a folder ("a:b" is a%3Ab, "a_b" stays
 * a_b). A leading dot is escaped too, so the result is never "." or ".." or hidden.
 */
export function judgeVersionFolder(version: string): string {
  let out = '';
  for (const char of version) {
    if (KEPT.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.startsWith('.') ? `%2E${out.slice(1)}` : out;
}

/** The folder name earlier versions of webtrail used (lossy: "a:b" and "a_b" both became a_b). */
export function legacyJudgeVersionFolder(version: string): string {
  return version.replace(/[^\w.@+-]+/g, '_');
}
