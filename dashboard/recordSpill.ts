// Whole trajectories kept on disk, not in memory: a trajectory with its observations runs to hundreds of
// kilobytes, and the dashboard must hold thousands. Each is appended gzipped to one file in a private
// temporary folder (removed on close) and read back by position when its page is asked for.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export interface SpillLocation {
  position: number;
  length: number;
}

export class RecordSpill {
  private readonly dir: string;
  private readonly fd: number;
  private end = 0;
  private closed = false;

  constructor(parent = tmpdir()) {
    this.dir = mkdtempSync(path.join(parent, 'webtrail-dashboard-'));
    this.fd = openSync(path.join(this.dir, 'records.gz'), 'w+', 0o600);
  }

  /** Appends a value; what comes back finds it again. */
  put(value: unknown): SpillLocation {
    const bytes = gzipSync(JSON.stringify(value), { level: 1 });
    const location = { position: this.end, length: bytes.length };
    writeSync(this.fd, bytes, 0, bytes.length, this.end);
    this.end += bytes.length;
    return location;
  }

  get<T>(location: SpillLocation): T {
    const bytes = Buffer.alloc(location.length);
    readSync(this.fd, bytes, 0, location.length, location.position);
    return JSON.parse(gunzipSync(bytes).toString('utf8')) as T;
  }

  get bytes(): number {
    return this.end;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
