// Prompts live in versioned files (prompts/<name>.<version>.md) with a system and a user part and
// {{placeholders}}; every message records the prompt version that made it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserInputError } from '../platform/index.ts';
import type { ChatMessage } from './llmClient.ts';

const PROMPT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../prompts');

export interface Prompt {
  /** e.g. "agent.v1" */
  id: string;
  /** The system and user templates, placeholders unfilled (their size is the prompt's fixed part). */
  template: string;
  render(vars: Record<string, string | number>): ChatMessage[];
}

export function loadPrompt(name: string, version: string): Prompt {
  const id = `${name}.${version}`;
  let text: string;
  try {
    text = readFileSync(path.join(PROMPT_DIR, `${id}.md`), 'utf8');
  } catch {
    throw new UserInputError(`no prompt ${id} (looked for prompts/${id}.md)`);
  }
  const match = /---system---\n([\s\S]*?)\n---user---\n([\s\S]*)$/.exec(text);
  if (!match) throw new UserInputError(`prompts/${id}.md needs a ---system--- and a ---user--- part`);
  const [, system, user] = match as unknown as [string, string, string];
  const fill = (template: string, vars: Record<string, string | number>) =>
    template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
      if (!(key in vars)) throw new Error(`prompt ${id} needs {{${key}}}`);
      return String(vars[key]);
    });
  return {
    id,
    template: `${system.trim()}\n${user.trim()}`,
    render: (vars) => [
      { role: 'system', content: fill(system.trim(), vars) },
      { role: 'user', content: fill(user.trim(), vars) },
    ],
  };
}
