// Serves saved HTML files on 127.0.0.1 so the browser can load them like a site, with what would make
// a saved page leave localhost neutralised: <base href> and <meta http-equiv=refresh> are removed.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Removes what would send the browser elsewhere; the page's own content is untouched. */
export function neutraliseHtml(html: string): string {
  return html.replace(/<base\b[^>]*>/gi, '').replace(/<meta\b[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*>/gi, '');
}

/** Guesses the encoding of a saved page (meta charset), defaulting to UTF-8. */
export function decodeHtml(bytes: Buffer): string {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const charset = /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
  try {
    // A document that parses as ASCII cannot really be UTF-16: browsers read such a label as UTF-8.
    if (charset && charset !== 'utf-8' && charset !== 'utf8' && !charset.startsWith('utf-16'))
      return new TextDecoder(charset).decode(bytes);
  } catch {
    // unknown label: fall through to UTF-8
  }
  return bytes.toString('utf8');
}

export interface LocalServer {
  origin: string;
  host: string;
  urlFor(file: string): string;
  close(): Promise<void>;
}

export async function serveDirectory(root: string): Promise<LocalServer> {
  const base = path.resolve(root);
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.resolve(base, `.${pathname}`);
    if (!file.startsWith(base)) return void res.writeHead(403).end();
    readFile(file).then(
      (bytes) => {
        const ext = path.extname(file).toLowerCase();
        if (ext === '.html' || ext === '.htm') {
          res.writeHead(200, { 'content-type': TYPES[ext]! }).end(neutraliseHtml(decodeHtml(bytes)));
        } else {
          res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream' }).end(bytes);
        }
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    host: `127.0.0.1:${port}`,
    urlFor: (file) =>
      `${origin}/${path.relative(base, path.resolve(file)).split(path.sep).map(encodeURIComponent).join('/')}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
