// node:fs under a fault layer that forgets, at a simulated power cut, everything the kernel had not been
// told to make durable: file bytes written since the file's last fsync, files created or renamed since
// their folder's last fsync (a rename over a file brings the old one back). What a writer acknowledged
// must survive powerCut(); a writer that skips an fsync loses data here, as it would on a real machine.
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { NODE_FS, type FileSystem } from '../../dataset/durableFiles.ts';

interface PendingName {
  dir: string;
  /** Undo it: remove a new file, move a renamed one back, restore what it replaced. */
  undo(): void;
}

export class PowerCutFs {
  /** Durable length of every file written through the layer. */
  private readonly durable = new Map<string, number>();
  private readonly fds = new Map<number, string>();
  private names: PendingName[] = [];
  /** fsync calls on files (not folders), so a test can see the layer was used. */
  fileSyncs = 0;

  readonly fs: FileSystem = {
    ...NODE_FS,
    openSync: ((file: string, flags?: string, mode?: number) => {
      const existed = nodeFs.existsSync(file);
      const fd = nodeFs.openSync(file, flags ?? 'r', mode);
      this.fds.set(fd, file);
      if (!existed) {
        this.durable.set(file, 0);
        this.names.push({ dir: path.dirname(file), undo: () => nodeFs.rmSync(file, { force: true }) });
      } else if (!this.durable.has(file) && !nodeFs.statSync(file).isDirectory()) {
        this.durable.set(file, nodeFs.statSync(file).size);
      }
      if (flags === 'w' && existed) this.durable.set(file, Math.min(this.durable.get(file) ?? 0, 0));
      return fd;
    }) as FileSystem['openSync'],
    closeSync: (fd: number) => {
      this.fds.delete(fd);
      nodeFs.closeSync(fd);
    },
    fsyncSync: (fd: number) => {
      nodeFs.fsyncSync(fd);
      const file = this.fds.get(fd);
      if (file === undefined) return;
      if (nodeFs.statSync(file).isDirectory()) {
        // The folder's names are on disk now.
        this.names = this.names.filter((n) => n.dir !== file);
        return;
      }
      this.fileSyncs += 1;
      this.durable.set(file, nodeFs.statSync(file).size);
    },
    renameSync: (from: nodeFs.PathLike, to: nodeFs.PathLike) => {
      const [a, b] = [String(from), String(to)];
      const replaced = nodeFs.existsSync(b) ? nodeFs.readFileSync(b) : undefined;
      const replacedDurable = this.durable.get(b);
      nodeFs.renameSync(a, b);
      const moved = this.durable.get(a);
      this.durable.delete(a);
      if (moved !== undefined) this.durable.set(b, moved);
      this.names.push({
        dir: path.dirname(b),
        undo: () => {
          if (nodeFs.existsSync(b)) nodeFs.renameSync(b, a);
          if (moved !== undefined) this.durable.set(a, moved);
          if (replaced !== undefined) {
            nodeFs.writeFileSync(b, replaced);
            this.durable.set(b, replacedDurable ?? replaced.length);
          } else this.durable.delete(b);
        },
      });
    },
  };

  /** The power goes: unsynced names are undone (newest first), then each file is cut to its durable length. */
  powerCut(): void {
    for (const name of this.names.reverse()) name.undo();
    this.names = [];
    for (const [file, length] of this.durable)
      if (nodeFs.existsSync(file) && nodeFs.statSync(file).size > length) nodeFs.truncateSync(file, length);
    this.fds.clear();
  }
}
