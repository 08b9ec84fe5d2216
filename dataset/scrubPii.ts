// Optional PII scrubbing of training text (WEBTRAIL_SINK_SCRUB_PII), as InSTA offers: the pages an agent
// saw can hold people's emails and phone numbers, and URLs can carry session tokens and keys. Each is
// replaced by a placeholder, so an example keeps its shape (and its JSON stays valid).
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/min';

export const PLACEHOLDERS = { email: '<EMAIL>', phone: '<PHONE>', secret: '<SECRET>' } as const;

// Query parameters that carry credentials by name (token, api_key, sig, X-Amz-Signature, session id...).
const SECRET_PARAM =
  /^(?:.*[-_.]|x-amz-)?(?:token|access[-_]?token|id[-_]?token|refresh[-_]?token|auth|authorization|key|api[-_]?key|apikey|secret|client[-_]?secret|sig|signature|session|sessionid|sid|password|passwd|pwd|code|credential|jwt)$/i;
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>()\]]+/gi;
const JWT = /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

function scrubUrl(url: string): string {
  // Credentials in the authority (https://user:pass@host/).
  let out = url.replace(/^(https?:\/\/)[^/@\s]+@/i, `$1${PLACEHOLDERS.secret}@`);
  out = out.replace(/([?&#;])([^=&#\s]+)=([^&#\s]*)/g, (whole, sep: string, name: string, value: string) =>
    value && SECRET_PARAM.test(decodeSafe(name)) ? `${sep}${name}=${PLACEHOLDERS.secret}` : whole,
  );
  return out;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Phone numbers as libphonenumber finds them: valid numbers only, national ones read as `country`'s. */
function scrubPhones(text: string, country: CountryCode): string {
  const found = findPhoneNumbersInText(text, { defaultCountry: country });
  let out = '';
  let at = 0;
  for (const match of found) {
    out += text.slice(at, match.startsAt) + PLACEHOLDERS.phone;
    at = match.endsAt;
  }
  return out + text.slice(at);
}

export function scrubPii(text: string, country: CountryCode = 'US'): string {
  let out = text.replace(URL_PATTERN, scrubUrl);
  out = out.replace(JWT, PLACEHOLDERS.secret);
  out = out.replace(EMAIL, PLACEHOLDERS.email);
  return scrubPhones(out, country);
}
