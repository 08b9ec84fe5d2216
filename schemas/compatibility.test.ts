import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { compatibilityProblems } from './compatibility.ts';

const record = (fields: avro.schema.RecordType['fields']) =>
  avro.Type.forSchema({ type: 'record', name: 'dev.webtrail.Thing', fields });
const v1 = record([{ name: 'id', type: 'string' }]);
const withDefault = record([
  { name: 'id', type: 'string' },
  { name: 'round', type: 'int', default: 0 },
]);
const withRequired = record([
  { name: 'id', type: 'string' },
  { name: 'owner', type: 'string' },
]);
const withoutId = record([{ name: 'round', type: 'int', default: 0 }]);

describe('compatibility levels, as the reference registry defines them', () => {
  it('BACKWARD: a new field needs a default (the new schema must read old data); removing a field is fine', () => {
    expect(compatibilityProblems('BACKWARD', withDefault, [{ version: 1, type: v1 }])).toEqual([]);
    expect(compatibilityProblems('BACKWARD', withRequired, [{ version: 1, type: v1 }])).toEqual([
      expect.stringMatching(/cannot read data written with version 1.*owner/),
    ]);
    expect(compatibilityProblems('BACKWARD', v1, [{ version: 1, type: withRequired }])).toEqual([]);
  });

  it('FORWARD: the old schema must read new data, so removing a field without a default breaks it', () => {
    expect(compatibilityProblems('FORWARD', withRequired, [{ version: 1, type: v1 }])).toEqual([]);
    expect(compatibilityProblems('FORWARD', withoutId, [{ version: 1, type: v1 }])).toEqual([
      expect.stringMatching(/version 1 cannot read data written with the new schema.*id/),
    ]);
  });

  it('FULL needs both; NONE takes anything; a first version is always accepted', () => {
    expect(compatibilityProblems('FULL', withDefault, [{ version: 1, type: v1 }])).toEqual([]);
    expect(compatibilityProblems('FULL', withRequired, [{ version: 1, type: v1 }])).toHaveLength(1);
    expect(compatibilityProblems('NONE', withoutId, [{ version: 1, type: v1 }])).toEqual([]);
    expect(compatibilityProblems('FULL_TRANSITIVE', withRequired, [])).toEqual([]);
  });

  it('checks only the latest version unless transitive', () => {
    // v1 has no owner; v2 added it with a default; the candidate needs it without one: the latest (v2) is
    // fine, v1 is not.
    const v2 = record([
      { name: 'id', type: 'string' },
      { name: 'owner', type: 'string', default: '' },
    ]);
    expect(
      compatibilityProblems('BACKWARD', withRequired, [
        { version: 1, type: v1 },
        { version: 2, type: v2 },
      ]),
    ).toEqual([]);
    expect(
      compatibilityProblems('BACKWARD_TRANSITIVE', withRequired, [
        { version: 1, type: v1 },
        { version: 2, type: v2 },
      ]),
    ).toEqual([expect.stringMatching(/version 1/)]);
  });
});
