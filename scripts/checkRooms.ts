// Checks every import against rooms.yaml: which of our rooms a room may import, and which packages it
// must not. A pure function over file texts, so a test can plant a wrong import and watch it fail.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const tableSchema = z.record(
  z.string(),
  z
    .object({
      what: z.string().min(1),
      imports: z.array(z.string()),
      forbidsPackages: z.array(z.string()).optional(),
      /** The files other rooms may import, relative to the room's folder: its public face; `index.ts` unless listed. */
      faces: z.array(z.string()).optional(),
    })
    .strict(),
);
export type RoomTable = z.infer<typeof tableSchema>;

export function loadRoomTable(file: string): RoomTable {
  return tableSchema.parse(parse(readFileSync(file, 'utf8')));
}

const IMPORT = /(?:^|[^\w.$])(?:import|export)\s*(?:[^'"`;()]*?\sfrom\s*)?\(?\s*['"]([^'"]+)['"]/g;

/** A dynamic import of a template: its `${…}` parts stand for any name, and are checked as `*`. */
const TEMPLATE_IMPORT = /(?:^|[^\w.$])import\s*\(\s*`([^`]+)`/g;

/** Every module specifier a file imports or re-exports, statically or dynamically (a template's variable parts as `*`). */
export function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const literal = [...withoutComments.matchAll(IMPORT)].map((m) => m[1]!);
  const templates = [...withoutComments.matchAll(TEMPLATE_IMPORT)].map((m) => m[1]!.replace(/\$\{[^}]*\}/g, '*'));
  return [...literal, ...templates];
}

/** The room a repo-relative file belongs to: the longest matching key; `x/*` makes `x/<sub>` a room. */
export function roomOf(table: RoomTable, file: string): string | undefined {
  if (/\.test\.ts$/.test(file) && table.test) return 'test';
  let best: string | undefined;
  for (const key of Object.keys(table)) {
    let room: string | undefined;
    if (key.endsWith('/*')) {
      const base = key.slice(0, -1);
      if (file.startsWith(base)) {
        const sub = file.slice(base.length).split('/')[0];
        if (sub && file.length > base.length + sub.length) room = `${base}${sub}`;
      }
    } else if (file === key || file.startsWith(`${key}/`)) {
      room = key;
    }
    if (room && (!best || room.length > best.length)) best = room;
  }
  return best;
}

function ruleOf(table: RoomTable, room: string): RoomTable[string] {
  if (table[room]) return table[room]!;
  const wildcard = `${room.split('/').slice(0, -1).join('/')}/*`;
  return table[wildcard]!;
}

/** Whether a list of allowed rooms admits a room: by name, by `x/*`, or a file-level room inside an allowed folder. */
function allows(allowed: string[], room: string): boolean {
  return allowed.some((a) =>
    a.endsWith('/*') ? room.startsWith(a.slice(0, -1)) : a === room || room.startsWith(`${a}/`),
  );
}

/** The files of a room that other rooms may import, relative to its folder. */
export function facesOf(table: RoomTable, room: string): string[] {
  return ruleOf(table, room).faces ?? ['index.ts'];
}

/**
 * Why importing `target` from `room` reaches into its room's insides, or null when the target is the room's
 * face. Tests may test insides; a room that is a single file is its own face.
 */
function insideProblem(table: RoomTable, room: string, target: string, targetRoom: string): string | null {
  if (
    room === 'test' ||
    target === targetRoom ||
    (!table[targetRoom] && !table[`${targetRoom.split('/').slice(0, -1).join('/')}/*`])
  )
    return null;
  const faces = facesOf(table, targetRoom);
  const relative = target.slice(targetRoom.length + 1);
  if (faces.includes(relative)) return null;
  return `inside room ${targetRoom}; other rooms import only its face (${faces.map((f) => `${targetRoom}/${f}`).join(', ')})`;
}

/** Files and imports that break the table, one readable line each. */
export function checkRooms(table: RoomTable, files: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, source] of files) {
    const room = roomOf(table, file);
    if (!room) {
      problems.push(`${file}: in no room of rooms.yaml; declare its folder there`);
      continue;
    }
    const rule = ruleOf(table, room);
    for (const specifier of importsOf(source)) {
      if (specifier.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        const targetRoom = roomOf(table, target) ?? `(outside every room: ${target})`;
        // A file-level room is still part of its folder's room for the folder's own imports.
        const sameRoom = targetRoom === room || targetRoom.startsWith(`${room}/`) || room.startsWith(`${targetRoom}/`);
        if (sameRoom) continue;
        if (!allows(rule.imports, targetRoom)) {
          problems.push(
            `${file}: imports ${specifier} (room ${targetRoom}); room ${room} may import only ${rule.imports.join(', ') || 'nothing of ours'}`,
          );
          continue;
        }
        const inside = insideProblem(table, room, target, targetRoom);
        if (inside) problems.push(`${file}: imports ${specifier}, ${inside}`);
      } else {
        const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (rule.forbidsPackages?.includes(pkg))
          problems.push(`${file}: imports the package ${pkg}, which room ${room} must not use`);
      }
    }
  }
  return problems;
}

/** The project's own source files, as git tracks them (plus untracked ones not ignored). */
export function projectSources(root: string): Map<string, string> {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  });
  const files = new Map<string, string>();
  for (const file of listed.split('\n')) {
    if (!/\.(ts|js|mjs)$/.test(file)) continue;
    try {
      files.set(file, readFileSync(path.join(root, file), 'utf8'));
    } catch {
      // deleted in the work tree but still in the index
    }
  }
  return files;
}
