// Files written before an offset is committed, made durable: data fsynced, and a new name in its folder
// fsynced with the folder. The dataset's shards and the sink's held best-of-n attempts use them. The file
// system is a parameter (node:fs by default) so a test can run the writer on one that loses what was not
// synced when the power is cut.
import * as nodeFs from 'node:fs';
import path from 'node:path';

/** The synchronous calls the dataset's writers make. */
export type FileSystem = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'ftruncateSync'
  | 'closeSync'
  | 'renameSync'
  | 'rmSync'
  | 'readFileSync'
  | 'readdirSync'
  | 'statSync'
  | 'truncateSync'
  | 'existsSync'
  | 'mkdirSync'
>;

export const NODE_FS: FileSystem = nodeFs;

/**
 * Writes every byte, at `position` (or the file's own position when null): a write near a full disk may
 * write part of what it was given and return, and the rest then fails with ENOSPC. Ignoring that short
 * count would record bytes that were never written as durable.
 */
export function writeAll(fd: number, data: Buffer, position: number | null, fs: FileSystem = NODE_FS): void {
  let written = 0;
  while (written < data.length) {
    const n = fs.writeSync(fd, data, written, data.length - written, position === null ? null : position + written);
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    written += n;
  }
}

export function fsyncDir(dir: string, fs: FileSystem = NODE_FS): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Replaces the file whole: a crash leaves the old content or the new, never a mix; a failed write leaves no temp file. */
export function writeFileDurably(file: string, data: string | Buffer, fs: FileSystem = NODE_FS): void {
  const temp = `${file}.${process.pid}.new`;
  try {
    const fd = fs.openSync(temp, 'w');
    try {
      writeAll(fd, typeof data === 'string' ? Buffer.from(data) : data, null, fs);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  // The rename is durable once its directory is.
  fsyncDir(path.dirname(file), fs);
}

/** Appends to the file and waits until it is on disk (a crash may cut the last line, never lose one acknowledged). */
export function appendDurably(file: string, data: string, fs: FileSystem = NODE_FS): void {
  const fd = fs.openSync(file, 'a');
  try {
    writeAll(fd, Buffer.from(data), null, fs);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
