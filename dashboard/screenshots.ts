// Screenshots for the dashboard, from whichever blob store holds them (file:// or s3://). A screenshot is
// named by its SHA-256, so only such names are fetched, and readCheckedBlob refuses bytes that do not
// match the name: a record cannot make the dashboard serve some other file. Recently shown images are kept in a small
// cache bounded by bytes, so a page's check that its images exist and the images' own requests read once.
import { errorMessage, readCheckedBlob } from '../platform/index.ts';

const SCREENSHOT_NAME = /\/screenshots\/[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/;

export type Loaded = { bytes: Buffer } | { problem: string };

export class ScreenshotCache {
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;

  constructor(
    private readonly maxBytes = 64 << 20,
    private readonly read: (uri: string) => Promise<Buffer> = (uri) => readCheckedBlob(uri),
  ) {}

  async load(uri: string): Promise<Loaded> {
    const hit = this.cache.get(uri);
    if (hit) {
      // Most recently used last.
      this.cache.delete(uri);
      this.cache.set(uri, hit);
      return { bytes: hit };
    }
    if (!SCREENSHOT_NAME.test(uri)) return { problem: `not a screenshot's name: ${uri}` };
    let bytes: Buffer;
    try {
      bytes = await this.read(uri);
    } catch (error) {
      return { problem: errorMessage(error) };
    }
    this.remember(uri, bytes);
    return { bytes };
  }

  private remember(uri: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes / 4) return;
    this.cache.set(uri, bytes);
    this.cachedBytes += bytes.length;
    for (const [key, value] of this.cache) {
      if (this.cachedBytes <= this.maxBytes) break;
      this.cache.delete(key);
      this.cachedBytes -= value.length;
    }
  }
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** An image that says why the screenshot is not there (shown in place of it, never a broken image). */
export function placeholderSvg(problem: string): string {
  const lines = (problem.match(/.{1,70}(\s|$)|\S+/g) ?? [problem]).slice(0, 4);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="160" viewBox="0 0 640 160"><rect width="640" height="160" fill="#f4f4f4" stroke="#aaa" stroke-dasharray="6 4"/><text x="20" y="40" font-family="sans-serif" font-size="16" fill="#444">screenshot unavailable</text>${lines.map((l, i) => `<text x="20" y="${70 + i * 20}" font-family="sans-serif" font-size="13" fill="#666">${escapeXml(l.trim())}</text>`).join('')}</svg>`;
}
