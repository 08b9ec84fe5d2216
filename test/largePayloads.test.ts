// Records stay small when a page is huge: the rollout moves any text field over the inline limit to the
// blob store (named by its hash) and the record carries a reference; the sink builds its examples from the
// whole text, fetched and checked against its name.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testCodec } from './helpers/kafka.ts';
import { LocalBlobStore, readBlob } from '../platform/blobStore.ts';
import { loadRolloutConfig } from '../services/rollout/config.ts';
import { offloadLargeText, PREVIEW_CHARS } from '../services/rollout/offload.ts';
import { loadSinkConfig } from '../services/sink/config.ts';
import { Sink } from '../services/sink/sink.ts';
import { verdict } from './helpers/samples.ts';

/** A 5 MB page: distinct lines, so nothing about it compresses into a small record by accident. */
const hugePage = () =>
  Array.from({ length: 100_000 }, (_, i) => `[${i + 1}] link "Product number ${i + 1} in the catalogue"`).join('\n');

function hugeTrajectory() {
  const v = verdict('huge');
  const page = hugePage();
  const prompt = [
    { role: 'system' as const, content: 'You are a web agent.' },
    { role: 'user' as const, content: `Task: find the cheapest product\n\n${page}` },
  ];
  const steps = v.trajectory.steps.map((s) => ({
    ...s,
    observation: page,
    prompt,
    llmOutput: '{"thought":"the list","action":{"kind":"click","elementId":1}}',
  }));
  return {
    verdict: { ...v, judgeVersion: 'm@judge.v1', trajectory: { ...v.trajectory, steps, finalObservation: page } },
    page,
    prompt,
  };
}

describe('a 5 MB observation', () => {
  it('makes a normal-sized trajectory record, and the sink still trains on every character of it', async () => {
    const { verdict: judged, page, prompt } = hugeTrajectory();
    expect(Buffer.byteLength(page)).toBeGreaterThan(5_000_000);
    const codec = testCodec();
    const before = codec.encodedSize('Trajectory', judged.trajectory);
    const blobs = new LocalBlobStore(mkdtempSync(path.join(tmpdir(), 'webtrail-large-')));
    const trajectory = structuredClone(judged.trajectory);
    expect(await offloadLargeText(trajectory, blobs, loadRolloutConfig({}).inlineTextBytes)).toBe(3);
    const after = codec.encodedSize('Trajectory', trajectory);
    expect(before).toBeGreaterThan(15_000_000);
    expect(after).toBeLessThan(32 * 1024);
    // The record keeps the page's beginning for the judge, and where the rest is.
    const [step] = trajectory.steps;
    expect(step!.observation.startsWith(page.slice(0, PREVIEW_CHARS))).toBe(true);
    expect(step!.observation).toContain(`more characters in ${step!.observationRef}`);
    expect((await readBlob(step!.observationRef!)).toString('utf8')).toBe(page);
    expect((await readBlob(trajectory.finalObservationRef!)).toString('utf8')).toBe(page);
    expect(step!.prompt).toBeNull();
    expect(step!.promptRef).toMatch(/\/prompts\/[0-9a-f]{2}\/[0-9a-f]{64}\.json$/);

    const home = mkdtempSync(path.join(tmpdir(), 'webtrail-large-sink-'));
    const sink = new Sink({ ...loadSinkConfig({}), datasetsDir: path.join(home, 'datasets'), flushIntervalMs: 1 });
    const [example] = await sink.accept({ ...judged, trajectory });
    expect(example!.messages.slice(0, 2)).toEqual(prompt);
    expect(example!.messages[1]!.content.length).toBe(prompt[1]!.content.length);

    // A prompt blob that no longer matches its name is refused, not trained on.
    writeFileSync(fileURLToPath(step!.promptRef!), JSON.stringify([{ role: 'user', content: 'something else' }]));
    const again = {
      ...judged,
      trajectory: { ...trajectory, runId: trajectory.runId },
      trajectoryId: 'other',
      verdictId: 'v-other',
    };
    await expect(sink.accept({ ...again, trajectory: { ...again.trajectory, trajectoryId: 'other' } })).rejects.toThrow(
      /does not match the hash in its name/,
    );
    await sink.close();
  });

  it('is left inline when under the limit', async () => {
    const { verdict: judged } = hugeTrajectory();
    const small = {
      ...judged.trajectory,
      steps: judged.trajectory.steps.map((s) => ({
        ...s,
        observation: 'a page',
        prompt: [{ role: 'user' as const, content: 'a page' }],
      })),
      finalObservation: 'a page',
    };
    expect(
      await offloadLargeText(
        small,
        new LocalBlobStore(mkdtempSync(path.join(tmpdir(), 'webtrail-large-'))),
        256 * 1024,
      ),
    ).toBe(0);
    expect(small.steps[0]!.observationRef).toBeNull();
    expect(small.steps[0]!.prompt).toEqual([{ role: 'user', content: 'a page' }]);
  });
});
