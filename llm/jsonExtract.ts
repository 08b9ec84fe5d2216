// Finds the JSON object in an LLM's reply: fenced, wrapped in prose, or followed by chatter.

export function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(trimmed)?.[1];
  for (const candidate of [fenced, trimmed].filter((c): c is string => Boolean(c))) {
    try {
      return JSON.parse(candidate);
    } catch {
      const object = firstBalancedObject(candidate);
      if (object !== null) {
        try {
          return JSON.parse(object);
        } catch {
          // keep looking
        }
      }
    }
  }
  throw new SyntaxError(`no JSON object in the reply: ${trimmed.slice(0, 120)}${trimmed.length > 120 ? '…' : ''}`);
}

function firstBalancedObject(text: string): string | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = start; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return null;
}
