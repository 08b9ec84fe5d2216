// The S3-compatible blob store, through the official AWS SDK for JavaScript v3: AWS S3, MinIO, Ceph RGW,
// GCS's S3 API, R2, s3proxy. Writes retry with backoff through outages and throttling until a deadline;
// big objects go up in parts.
// The pinned SDK runs on Node 20 (webtrail's floor); its notice that later releases will not is for whoever upgrades it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentKey, safeKey, type BlobStore, type S3Settings } from './blobStore.ts';
import { DependencyError, UserInputError } from './errors.ts';
import { retry } from './retry.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'TimeoutError',
  'RequestTimeout',
]);

/** Whether another attempt can help: the store unreachable, a 5xx, throttling. Not: denied, no bucket. */
export function retriableS3Error(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    return (
      status >= 500 ||
      status === 429 ||
      [
        'SlowDown',
        'Throttling',
        'ThrottlingException',
        'RequestTimeout',
        'InternalError',
        'ServiceUnavailable',
      ].includes(error.name)
    );
  }
  const code = (error as { code?: string; name?: string } | null)?.code ?? (error as { name?: string } | null)?.name;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

export class S3BlobStore implements BlobStore {
  readonly location: string;
  private readonly client: S3Client;
  /** Writes that waited out a failure (for logs and the bench). */
  retries = 0;

  constructor(private readonly settings: S3Settings) {
    this.location = `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`;
    this.client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // The SDK's own quick retries, inside ours (which outlast a restart of the store).
      maxAttempts: 3,
      // Only checksums the store asked for: S3-compatible servers do not all know the SDK's newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private fullKey(key: string): string {
    const safe = safeKey(key);
    return this.settings.prefix ? `${this.settings.prefix}/${safe}` : safe;
  }

  private uri(fullKey: string): string {
    return `s3://${this.settings.bucket}/${fullKey}`;
  }

  /** Runs an S3 call again while it fails in a way that can pass, until the deadline. */
  private async withRetry<T>(what: string, call: () => Promise<T>): Promise<T> {
    return retry(
      async (bail) => {
        try {
          return await call();
        } catch (error) {
          if (!retriableS3Error(error)) bail(this.explain(what, error));
          throw error;
        }
      },
      {
        what,
        baseMs: 250,
        maxMs: 5_000,
        deadlineMs: this.settings.retryDeadlineMs,
        onRetry: () => void (this.retries += 1),
        exhausted: (error) =>
          new DependencyError(
            `${what}: the blob store ${this.settings.endpoint ?? 'S3'} kept failing for ${Math.round(this.settings.retryDeadlineMs / 1000)} s (${(error as Error).name}: ${(error as Error).message})`,
            { cause: error },
          ),
      },
    );
  }

  private explain(what: string, error: unknown): Error {
    if (error instanceof S3ServiceException) {
      const status = error.$metadata.httpStatusCode;
      if (error.name === 'NoSuchBucket')
        return new UserInputError(
          `${what}: bucket ${this.settings.bucket} does not exist at ${this.settings.endpoint ?? 'S3'} (create it, or fix WEBTRAIL_BLOB_URL)`,
        );
      if (error.name === 'NoSuchKey' || status === 404) return new UserInputError(`${what}: no such blob`);
      if (
        status === 403 ||
        error.name === 'AccessDenied' ||
        error.name === 'InvalidAccessKeyId' ||
        error.name === 'SignatureDoesNotMatch'
      ) {
        return new UserInputError(
          `${what}: the blob store refused the credentials (${error.name}); set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a web identity`,
        );
      }
      return new DependencyError(`${what}: ${error.name} (HTTP ${status ?? '?'})`, { retriable: false, cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  async put(key: string, data: Buffer, contentType: string): Promise<string> {
    const full = this.fullKey(key);
    await this.withRetry(`writing ${this.uri(full)}`, async () => {
      if (data.length < this.settings.multipartBytes) {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.settings.bucket, Key: full, Body: data, ContentType: contentType }),
        );
        return;
      }
      await new Upload({
        client: this.client,
        params: { Bucket: this.settings.bucket, Key: full, Body: data, ContentType: contentType },
        partSize: 8 * 1024 * 1024,
        queueSize: 4,
        leavePartsOnError: false,
      }).done();
    });
    return this.uri(full);
  }

  async putContent(prefix: string, data: Buffer, contentType: string, ext: string): Promise<string> {
    const key = contentKey(prefix, data, ext);
    const full = this.fullKey(key);
    if (await this.exists(full)) return this.uri(full);
    return this.put(key, data, contentType);
  }

  private async exists(fullKey: string): Promise<boolean> {
    return this.withRetry(`looking up ${this.uri(fullKey)}`, async () => {
      try {
        await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: fullKey }));
        return true;
      } catch (error) {
        if (
          error instanceof S3ServiceException &&
          (error.$metadata.httpStatusCode === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey')
        )
          return false;
        throw error;
      }
    });
  }

  async get(uri: string): Promise<Buffer> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!match) throw new UserInputError(`this blob store reads s3:// URIs, not ${uri.slice(0, 60)}`);
    const [, bucket, key] = match as unknown as [string, string, string];
    return this.withRetry(`reading ${uri}`, async () => {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await reply.Body!.transformToByteArray());
    });
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
