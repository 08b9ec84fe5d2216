// Text from outside (a line of a user's file, a URL, a library's message) shown to a person: on one line,
// control characters escaped so a terminal shows them instead of obeying them, and cut to a length.

// eslint-disable-next-line no-control-regex -- control characters are what this escapes
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export function printable(text: string, max = 200): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const escaped = cut.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return text.length > max ? `${escaped}… (${text.length - max} more characters)` : escaped;
}
