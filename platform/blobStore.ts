// Where screenshots and other large payloads go (never into Kafka): a local folder (file:// URIs, the
// local stack's default) or an S3-compatible bucket (s3:// URIs). Messages carry the URI; any process
// resolves it through openBlobStore(), whichever backend wrote it.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { bool, httpUrl, parseEnv, webtrailHome, type Env } from './config.ts';
import { UserInputError, WebtrailError } from './errors.ts';

export interface BlobStore {
  /** Stores bytes under a key (a relative path) and returns the URI that refers to them. */
  put(key: string, data: Buffer, contentType: string): Promise<string>;
  /**
   * Stores bytes under a name made of their SHA-256 (`<prefix>/<hash>.<ext>`), unless a blob is already
   * there: the same bytes are written once however often they are stored (a redelivered step).
   */
  putContent(prefix: string, data: Buffer, contentType: string, ext: string): Promise<string>;
  /** The bytes a URI of this store's kind refers to. */
  get(uri: string): Promise<Buffer>;
  /** Where new blobs go, as a URI (file:///…/blobs or s3://bucket/prefix). */
  readonly location: string;
  close(): Promise<void>;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The key of content-addressed bytes: fanned out by the hash's first two characters. */
export function contentKey(prefix: string, data: Buffer, ext: string): string {
  const hash = sha256(data);
  return `${prefix.replace(/\/+$/, '')}/${hash.slice(0, 2)}/${hash}.${ext.replace(/^\./, '')}`;
}

/** A key made safe to join under a root: no absolute paths, no climbing out. */
export function safeKey(key: string): string {
  const normal = path.posix.normalize(key.replace(/\\/g, '/')).replace(/^\/+/, '');
  if (normal === '..' || normal.startsWith('../') || normal === '.' || normal === '')
    throw new UserInputError(`blob key ${JSON.stringify(key.slice(0, 80))} leaves the store`);
  return normal;
}

export class LocalBlobStore implements BlobStore {
  readonly location: string;

  constructor(private readonly root: string) {
    this.location = pathToFileURL(root).href;
  }

  private written = 0;
  /** Folders made by this process: a content store fans out into a few hundred, each made once. */
  private readonly folders = new Set<string>();

  async put(key: string, data: Buffer): Promise<string> {
    const file = path.join(this.root, safeKey(key));
    const folder = path.dirname(file);
    // A temp name of its own per write: two contexts storing the same screenshot or observation at once
    // (best-of-n attempts on one start page) must not share a temp file, or the second rename finds none.
    const temp = `${file}.${process.pid}.${(this.written += 1)}.tmp`;
    if (!this.folders.has(folder)) await this.makeFolder(folder);
    await writeFile(temp, data).catch(async (error: NodeJS.ErrnoException) => {
      // The folder went away under a running process (someone cleaned the store): make it again.
      if (error.code !== 'ENOENT') throw error;
      await this.makeFolder(folder);
      await writeFile(temp, data);
    });
    await rename(temp, file);
    return pathToFileURL(file).href;
  }

  private async makeFolder(folder: string): Promise<void> {
    await mkdir(folder, { recursive: true });
    this.folders.add(folder);
  }

  /**
   * Content-addressed: the same bytes always land under the same name, so writing them again replaces a
   * file with its own copy. That costs less than asking first (a failed lookup per new blob, the usual
   * case: a step's screenshot is new).
   */
  async putContent(prefix: string, data: Buffer, _contentType: string, ext: string): Promise<string> {
    return this.put(contentKey(prefix, data, ext), data);
  }

  async get(uri: string): Promise<Buffer> {
    if (!uri.startsWith('file:')) throw new UserInputError(`this blob store reads file: URIs, not ${uri.slice(0, 40)}`);
    return readFile(fileURLToPath(uri));
  }

  async close(): Promise<void> {}
}

export interface S3Settings {
  bucket: string;
  prefix: string;
  /** An S3-compatible endpoint (MinIO, Ceph RGW, GCS, R2, s3proxy); AWS's own when unset. */
  endpoint?: string;
  region: string;
  /** Path-style addressing (endpoint/bucket/key), which most S3-compatible servers want. */
  forcePathStyle: boolean;
  /** How long one write keeps retrying an unreachable or throttling store before it fails. */
  retryDeadlineMs: number;
  /** Objects at least this big are uploaded in parts. */
  multipartBytes: number;
  /** Keys from the env given (never logged); without them the SDK's own chain (profile, web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export type BlobConfig = { kind: 'file'; root: string } | ({ kind: 's3' } & S3Settings);

/**
 * WEBTRAIL_BLOB_URL: file:///path (default $WEBTRAIL_HOME/blobs) or s3://bucket/prefix. For S3 the
 * endpoint, region and credentials are AWS's standard variables and files (AWS_ENDPOINT_URL_S3 or
 * AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity).
 */
export function loadBlobConfig(env: Env = process.env): BlobConfig {
  const raw = parseEnv(
    z.object({
      WEBTRAIL_BLOB_URL: z.string().optional(),
      AWS_ENDPOINT_URL_S3: httpUrl('http://127.0.0.1:9300').optional(),
      AWS_ENDPOINT_URL: httpUrl('http://127.0.0.1:9300').optional(),
      AWS_REGION: z.string().optional(),
      AWS_DEFAULT_REGION: z.string().optional(),
      WEBTRAIL_BLOB_S3_PATH_STYLE: bool.optional(),
      WEBTRAIL_BLOB_RETRY_DEADLINE_MS: z.coerce.number().int().min(0).default(120_000),
      WEBTRAIL_BLOB_MULTIPART_MB: z.coerce.number().int().min(5).default(16),
      AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
      AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
      AWS_SESSION_TOKEN: z.string().min(1).optional(),
    }),
    env,
  );
  const url = raw.WEBTRAIL_BLOB_URL;
  if (!url) return { kind: 'file', root: path.join(webtrailHome(env), 'blobs') };
  if (url.startsWith('file:')) return { kind: 'file', root: fileURLToPath(url) };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!s3)
    throw new UserInputError(
      `WEBTRAIL_BLOB_URL ${JSON.stringify(url.slice(0, 100))}: expected file:///a/folder or s3://bucket/optional/prefix (a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens)`,
    );
  const endpoint = raw.AWS_ENDPOINT_URL_S3 ?? raw.AWS_ENDPOINT_URL;
  return {
    kind: 's3',
    bucket: s3[1]!,
    prefix: (s3[2] ?? '').replace(/^\/+|\/+$/g, ''),
    ...(endpoint ? { endpoint } : {}),
    region: raw.AWS_REGION ?? raw.AWS_DEFAULT_REGION ?? 'us-east-1',
    // A custom endpoint is nearly always a server that wants path-style; AWS itself wants virtual hosts.
    forcePathStyle: raw.WEBTRAIL_BLOB_S3_PATH_STYLE ?? Boolean(endpoint),
    retryDeadlineMs: raw.WEBTRAIL_BLOB_RETRY_DEADLINE_MS,
    multipartBytes: raw.WEBTRAIL_BLOB_MULTIPART_MB * 1024 * 1024,
    ...(raw.AWS_ACCESS_KEY_ID && raw.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: raw.AWS_ACCESS_KEY_ID,
            secretAccessKey: raw.AWS_SECRET_ACCESS_KEY,
            ...(raw.AWS_SESSION_TOKEN ? { sessionToken: raw.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  };
}

/** The blob store the configuration names; the S3 client is loaded only when it is used. */
export async function openBlobStore(env: Env = process.env): Promise<BlobStore> {
  const config = loadBlobConfig(env);
  if (config.kind === 'file') return new LocalBlobStore(config.root);
  const { S3BlobStore } = await import('./s3BlobStore.ts');
  return new S3BlobStore(config);
}

/**
 * Reads any blob URI, from whichever store wrote it: file: from the disk, s3: through an S3 client
 * configured from env (the bucket in the URI, the endpoint and credentials from the AWS variables).
 */
export async function readBlob(uri: string, env: Env = process.env): Promise<Buffer> {
  if (uri.startsWith('file:')) {
    let file: string;
    try {
      file = fileURLToPath(uri);
    } catch {
      throw new UserInputError(`${JSON.stringify(uri.slice(0, 100))} is not a file:// URI of this machine`);
    }
    return readFile(file).catch((error: NodeJS.ErrnoException) => {
      const why = { ENOENT: 'no such file', EISDIR: 'it is a folder', EACCES: 'permission denied' }[error.code ?? ''];
      if (why) throw new UserInputError(`no blob at ${uri}: ${why}`, { cause: error });
      throw error;
    });
  }
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!s3) throw new UserInputError(`${JSON.stringify(uri.slice(0, 100))} is not a blob URI (file:// or s3://)`);
  return (await readerFor(s3[1]!, env)).get(uri);
}

/** The SHA-256 a content-addressed blob is named by (…/<64 hex digits>.<ext>), or null for any other name. */
export function namedHash(uri: string): string | null {
  return /\/([0-9a-f]{64})\.[a-z0-9]+$/.exec(uri)?.[1] ?? null;
}

/** A blob whose bytes are not the ones its name promises: changed or damaged in the store. */
export class BlobMismatchError extends WebtrailError {}

/**
 * readBlob, and for a content-addressed name (screenshots, moved prompts and observations) a check that
 * the bytes are the ones the name promises, so nothing changed in the store is shown or trained on.
 */
export async function readCheckedBlob(uri: string, env: Env = process.env): Promise<Buffer> {
  const bytes = await readBlob(uri, env);
  const expected = namedHash(uri);
  if (expected && sha256(bytes) !== expected)
    throw new BlobMismatchError(
      `the bytes at ${uri} do not match its name (the SHA-256 of what was stored; changed or damaged in the store)`,
    );
  return bytes;
}

/** One S3 client per bucket and env for readBlob, kept for the process's life: readers fetch many blobs. */
const readers = new Map<string, Promise<BlobStore>>();

function readerFor(bucket: string, env: Env): Promise<BlobStore> {
  const blobEnv = { ...env, WEBTRAIL_BLOB_URL: `s3://${bucket}` };
  const key = JSON.stringify(loadBlobConfig(blobEnv));
  let reader = readers.get(key);
  if (!reader) readers.set(key, (reader = openBlobStore(blobEnv)));
  return reader;
}
