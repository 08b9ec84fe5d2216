#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the package needs no build step.
import { register } from 'tsx/esm/api';

register();
try {
  await import('../cli/main.ts');
} catch (error) {
  // Configuration read while modules load (e.g. WEBTRAIL_TOPIC_PREFIX) fails here: one line, no stack.
  if (!(error instanceof Error) || !error.message.startsWith('invalid configuration')) throw error;
  console.error(`webtrail: ${error.message}`);
  process.exit(2);
}
