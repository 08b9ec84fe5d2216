// Keeps trajectory records small and bounded: an observation or a step's prompt larger than the inline
// limit goes to the blob store (named by its SHA-256), and the record keeps a reference to it, plus, for
// an observation, its beginning (what the judge reads: it shows at most a few thousand characters of any
// page). The sink fetches a prompt it needs from the store, where it can check it against its name.
import type { Trajectory } from '../../schemas/index.ts';
import type { BlobStore } from '../../platform/index.ts';

/** What an offloaded observation keeps inline. */
export const PREVIEW_CHARS = 8_000;

const preview = (text: string, ref: string) =>
  `${text.slice(0, PREVIEW_CHARS)}\n[… ${text.length - PREVIEW_CHARS} more characters in ${ref}]`;

/** Moves the text fields of a trajectory above `limitBytes` (UTF-8) to the store; returns how many. */
export async function offloadLargeText(trajectory: Trajectory, blobs: BlobStore, limitBytes: number): Promise<number> {
  let moved = 0;
  const tooBig = (text: string) => Buffer.byteLength(text) > limitBytes;
  const store = (text: string, kind: string, ext: string, type: string) =>
    blobs.putContent(kind, Buffer.from(text), type, ext);
  for (const step of trajectory.steps) {
    if (tooBig(step.observation)) {
      step.observationRef = await store(step.observation, 'observations', 'txt', 'text/plain; charset=utf-8');
      step.observation = preview(step.observation, step.observationRef);
      moved += 1;
    }
    if (step.prompt) {
      const json = JSON.stringify(step.prompt);
      if (tooBig(json)) {
        step.promptRef = await store(json, 'prompts', 'json', 'application/json');
        step.prompt = null;
        moved += 1;
      }
    }
  }
  if (tooBig(trajectory.finalObservation)) {
    trajectory.finalObservationRef = await store(
      trajectory.finalObservation,
      'observations',
      'txt',
      'text/plain; charset=utf-8',
    );
    trajectory.finalObservation = preview(trajectory.finalObservation, trajectory.finalObservationRef);
    moved += 1;
  }
  return moved;
}
