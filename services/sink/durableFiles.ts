// Files the sink writes before it commits an offset, made durable: data fsynced, and a new name in its
// folder fsynced with the folder. The dataset's shards and the held best-of-n attempts use them.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces the file whole: a crash leaves the old content or the new, never a mix. */
export function writeFileDurably(file: string, data: string | Buffer): void {
  const temp = `${file}.${process.pid}.new`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
  // The rename is durable once its directory is.
  fsyncDir(path.dirname(file));
}

/** Appends to the file and waits until it is on disk (a crash may cut the last line, never lose one acknowledged). */
export function appendDurably(file: string, data: string): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
