// The rooms of rooms.yaml hold: every import of the project is one its room may make.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRooms, importsOf, loadRoomTable, projectSources, roomOf } from '../scripts/checkRooms.ts';
import { ROOT } from '../platform/spawnTs.ts';

const table = loadRoomTable(path.join(ROOT, 'rooms.yaml'));
const sources = projectSources(ROOT);

describe('rooms', () => {
  it('every file of the project sits in a declared room and imports only what its room may', () => {
    expect(sources.size).toBeGreaterThan(100);
    // The checker sees the real imports (a checker that sees none would pass anything).
    const edges = [...sources].flatMap(([file, source]) =>
      importsOf(source)
        .filter((s) => s.startsWith('.'))
        .map((s) => `${file} -> ${s}`),
    );
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContain('services/rollout/main.ts -> ../../bus/index.ts');
    expect(checkRooms(table, sources)).toEqual([]);
  });

  it('services/ holds only the stages, and no folder is named for who uses it', () => {
    const stages = new Set([...sources.keys()].filter((f) => f.startsWith('services/')).map((f) => f.split('/')[1]));
    expect([...stages].sort()).toEqual(['generator', 'judge', 'refiner', 'rollout', 'sink']);
    const folders = new Set([...sources.keys()].flatMap((f) => f.split('/').slice(0, -1)));
    for (const name of ['shared', 'utils', 'util', 'common', 'helpers-shared', 'misc'])
      expect(folders.has(name), name).toBe(false);
  });

  it('knows where each file lives', () => {
    expect(roomOf(table, 'services/judge/judge.ts')).toBe('services/judge');
    expect(roomOf(table, 'cli/sandbox.ts')).toBe('cli/sandbox.ts');
    expect(roomOf(table, 'cli/tap.ts')).toBe('cli');
    expect(roomOf(table, 'bus/offsetTracker.test.ts')).toBe('test');
    expect(roomOf(table, 'nowhere/x.ts')).toBeUndefined();
  });

  // Planted imports are spelt IMPORT/EXPORT here so that this file's own text breaks no rule.
  const planted: Array<[string, string, string, RegExp]> = [
    [
      'a service imports another',
      'services/sink/x.ts',
      "IMPORT { loadRolloutConfig } from '../rollout/config.ts';",
      /room services\/rollout\); room services\/sink may import only/,
    ],
    [
      'the contract imports platform',
      'schemas/x.ts',
      "IMPORT { UserInputError } from '../platform/errors.ts';",
      /room platform\); room schemas may import only nothing of ours/,
    ],
    [
      'the browser imports the bus',
      'browser/x.ts',
      "IMPORT type { StageRunner } from '../bus/stageRunner.ts';",
      /room bus\)/,
    ],
    [
      'the browser uses kafkajs',
      'browser/x.ts',
      "IMPORT { Kafka } from 'kafkajs';",
      /package kafkajs, which room browser must not use/,
    ],
    [
      'the llm client imports the bus dynamically',
      'llm/x.ts',
      "const m = await IMPORT('../bus/client.ts');",
      /room bus\)/,
    ],
    [
      'a service imports the sandbox',
      'services/judge/x.ts',
      "EXPORT { SITES } from '../../sandbox/sites/index.ts';",
      /room sandbox\)/,
    ],
    [
      'the CLI imports the sandbox outside its sandbox commands',
      'cli/tap.ts',
      "IMPORT {\n  startSandbox,\n} from '../sandbox/server.ts';",
      /room sandbox\); room cli may import/,
    ],
    ['a file outside every room', 'newroom/x.ts', '', /in no room of rooms.yaml/],
    [
      'the CLI reaches into the platform past its face',
      'cli/tap.ts',
      "IMPORT { parseEnv } from '../platform/config.ts';",
      /inside room platform; other rooms import only its face \(platform\/index.ts, platform\/telemetrySdk.ts\)/,
    ],
    [
      'a script reaches into the sink',
      'scripts/demo.ts',
      "IMPORT { Sink } from '../services/sink/sink.ts';",
      /inside room services\/sink; other rooms import only its face \(services\/sink\/config.ts\)/,
    ],
    [
      'the CLI reaches into the dataset past its face',
      'cli/export.ts',
      "IMPORT type { DatasetStats } from '../dataset/datasetWriter.ts';",
      /inside room dataset; other rooms import only its face \(dataset\/index.ts\)/,
    ],
    [
      'a script loads every stage past its face',
      'scripts/genSettings.ts',
      'const m = await IMPORT(`../services/${stage}/main.ts`);',
      /inside room services\/\*; other rooms import only its face/,
    ],
  ];
  it("lets a test reach a room's insides, and a room import another's face", () => {
    const files = new Map(sources);
    const spelt = (text: string) => text.replace(/IMPORT/g, 'import');
    files.set('test/x.test.ts', spelt("IMPORT { parseEnv } from '../platform/config.ts';\n"));
    files.set(
      'services/sink/x.ts',
      spelt(
        "IMPORT { parseEnv } from '../../platform/index.ts';\nIMPORT { startTelemetry } from '../../platform/telemetrySdk.ts';\n",
      ),
    );
    expect(checkRooms(table, files)).toEqual([]);
  });

  it.each(planted)('fails when %s', (_what, file, source, message) => {
    const files = new Map(sources);
    files.set(file, `${files.get(file) ?? ''}\n${source.replace(/IMPORT/g, 'import').replace(/EXPORT/g, 'export')}\n`);
    const problems = checkRooms(table, files);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]!.startsWith(`${file}:`)).toBe(true);
  });
});
