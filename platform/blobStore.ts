// Where screenshots and raw HTML go (never into Kafka): a local folder by default, referenced by
// file:// URIs that the message carries.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserInputError } from './errors.ts';

export interface BlobStore {
  /** Stores bytes under a key (a relative path) and returns the URI that refers to them. */
  put(key: string, data: Buffer, contentType: string): Promise<string>;
  get(uri: string): Promise<Buffer>;
}

export class LocalBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  async put(key: string, data: Buffer): Promise<string> {
    const safe = path.normalize(key).replace(/^(\.\.(\/|\\|$))+/, '');
    const file = path.join(this.root, safe);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, data);
    await rename(temp, file);
    return pathToFileURL(file).href;
  }

  async get(uri: string): Promise<Buffer> {
    if (!uri.startsWith('file:')) throw new UserInputError(`this blob store reads file: URIs, not ${uri.slice(0, 40)}`);
    return readFile(fileURLToPath(uri));
  }
}
