import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_KINDS, OBJECT_META, bundleCoreSchemas } from './coreSchemas.ts';

describe('the core schema bundle', () => {
  it('keeps the kinds and exactly the definitions they reach, pointed inside the bundle, without descriptions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'k8s-schemas-'));
    const ref = (name: string) => ({ $ref: `/api/_definitions.json#/$defs/${name}` });
    for (const file of Object.values(CORE_KINDS)) {
      writeFileSync(
        path.join(dir, file),
        JSON.stringify({
          description: 'a kind',
          type: 'object',
          additionalProperties: false,
          properties: { metadata: ref(OBJECT_META), spec: ref('spec.A') },
        }),
      );
    }
    writeFileSync(
      path.join(dir, '_definitions.json'),
      JSON.stringify({
        $defs: {
          [OBJECT_META]: {
            type: 'object',
            additionalProperties: false,
            properties: { name: { type: 'string', description: 'the name' } },
          },
          'spec.A': { type: 'object', properties: { b: { $ref: '#/$defs/spec.B' }, description: { type: 'string' } } },
          'spec.B': { type: 'integer', description: 'reached through A' },
          'spec.Unused': { type: 'string' },
        },
      }),
    );
    const bundle = bundleCoreSchemas(dir, 'test');
    expect(
      Object.keys(bundle.$defs)
        .filter((k) => !k.startsWith('kind:'))
        .sort(),
    ).toEqual([OBJECT_META, 'spec.A', 'spec.B']);
    expect(bundle.$defs['spec.A']).toEqual({
      type: 'object',
      properties: { b: { $ref: '#/$defs/spec.B' }, description: { type: 'string' } },
    });
    expect(bundle.$defs['kind:apps/v1/Deployment']).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { metadata: { $ref: `#/$defs/${OBJECT_META}` }, spec: { $ref: '#/$defs/spec.A' } },
    });
    expect(bundle.kinds['v1/Service']).toBe('kind:v1/Service');
  });
});
