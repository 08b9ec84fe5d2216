// npm run k8s:validate [-- DIR]: renders every overlay and validates it offline (see scripts/k8s/validate.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateK8s } from './k8s/validate.ts';

const dir = process.argv[2] ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../k8s');
try {
  const reports = validateK8s(dir);
  let failed = false;
  for (const r of reports) {
    const kinds = new Map<string, number>();
    for (const o of r.objects) kinds.set(String(o.kind), (kinds.get(String(o.kind)) ?? 0) + 1);
    console.log(
      `${r.overlay}: ${r.objects.length} objects (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}): ${r.problems.length ? `${r.problems.length} problem(s)` : 'valid'}`,
    );
    for (const p of r.problems) console.log(`  - ${p}`);
    failed ||= r.problems.length > 0;
  }
  if (reports.length === 0) throw new Error(`no overlays under ${dir}/overlays`);
  process.exit(failed ? 1 : 0);
} catch (error) {
  console.error(`k8s:validate: ${(error as Error).message}`);
  process.exit(2);
}
