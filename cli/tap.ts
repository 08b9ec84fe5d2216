// webtrail tap <topic>: decoded records as JSON lines, read with a throwaway consumer group that
// commits nothing and is deleted afterwards, so no service's group is disturbed.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBlob } from '../platform/index.ts';
import { readTopics } from '../bus/index.ts';
import { combineFilters } from './recordFilter.ts';

export interface TapOptions {
  fromBeginning: boolean;
  follow: boolean;
  limit?: number;
  filters: string[];
  /** Where lines go; resolves when the line is written. */
  write: (line: string) => Promise<void>;
  /** Fetch every blob a printed record refers to (screenshots, moved text) into this folder. */
  saveBlobs?: string;
  signal?: AbortSignal;
}

/** The blob URIs a record refers to: string values of fields named …Ref, anywhere in it. */
export function blobRefs(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) blobRefs(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key.endsWith('Ref') && typeof inner === 'string' && /^(s3|file):\/\//.test(inner)) found.add(inner);
      else blobRefs(inner, found);
    }
  }
  return found;
}

/** JSON with bytes as base64 (Avro 'bytes' fields, e.g. a dead letter's original value). */
export function toJsonLine(record: unknown): string {
  return JSON.stringify(record, (_key, value: unknown) => {
    if (
      value &&
      typeof value === 'object' &&
      (value as { type?: unknown }).type === 'Buffer' &&
      Array.isArray((value as { data?: unknown }).data)
    ) {
      return Buffer.from((value as { data: number[] }).data).toString('base64');
    }
    return typeof value === 'bigint' ? value.toString() : value;
  });
}

export async function tap(topic: string, options: TapOptions): Promise<{ printed: number; blobs: number }> {
  const matches = combineFilters(options.filters);
  let printed = 0;
  const saved = new Set<string>();
  if (options.limit === 0) return { printed, blobs: 0 };
  if (options.saveBlobs) await mkdir(options.saveBlobs, { recursive: true });
  await readTopics([topic], {
    fromBeginning: options.fromBeginning,
    follow: options.follow,
    signal: options.signal,
    onRecord: async (record) => {
      if (!matches(record)) return false;
      await options.write(toJsonLine(record));
      printed += 1;
      // Named as in the store (content-addressed names are unique), each fetched once.
      for (const uri of options.saveBlobs ? blobRefs(record.value) : []) {
        if (saved.has(uri)) continue;
        await writeFile(path.join(options.saveBlobs!, path.basename(uri)), await readBlob(uri));
        saved.add(uri);
      }
      return options.limit !== undefined && printed >= options.limit;
    },
  });
  return { printed, blobs: saved.size };
}
