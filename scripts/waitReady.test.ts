// The start-up wait of the demo, chaos and the pipeline tests: bounded by progress, not by a fixed time.
// Real child processes: one busy and silent (importing on a loaded machine), one idle and silent (stuck),
// one that exits, one that logs a fatal line.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './freePort.ts';
import { waitReady } from './pipeline.ts';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

async function service(script: string) {
  const port = await freePort();
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'wait-ready-')), 'service.log');
  writeFileSync(logFile, '');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-e', script], { env: { PORT: String(port) }, stdio: ['ignore', log, log] });
  children.push(child);
  return { service: { name: 'generator' as const, child, port }, logFile };
}

const listen = `require('node:http').createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')`;

describe('waitReady', () => {
  it('gives a service that is busy but silent more than the stall time, and returns once it answers', async () => {
    // 4 s of work with nothing written (as importing the tree under tsx at load 25), then ready.
    const { service: s, logFile } = await service(
      `const end = Date.now() + 4000; while (Date.now() < end) Math.sqrt(Math.random()); ${listen}`,
    );
    const started = Date.now();
    await waitReady(s, logFile, { stallMs: 1500 });
    expect(Date.now() - started).toBeGreaterThan(3000);
  }, 30_000);

  it('fails a service that is idle and silent once the stall time passes, naming its log', async () => {
    const { service: s, logFile } = await service(`setTimeout(() => {}, 60_000)`);
    await expect(waitReady(s, logFile, { stallMs: 1500 })).rejects.toThrow(
      `generator made no progress towards ready for 1.5 s`,
    );
  }, 30_000);

  it('fails at once on an exit or a fatal log line', async () => {
    const exits = await service(`setTimeout(() => process.exit(3), 200)`);
    await expect(waitReady(exits.service, exits.logFile, { stallMs: 20_000 })).rejects.toThrow(
      'generator exited with 3 during start-up',
    );
    const fatal = await service(
      `console.log(JSON.stringify({ level: 60, msg: 'WEBTRAIL_KAFKA_PORT: a port from 1 to 65535' })); setTimeout(() => {}, 60_000)`,
    );
    const started = Date.now();
    await expect(waitReady(fatal.service, fatal.logFile, { stallMs: 20_000 })).rejects.toThrow(
      'generator logged a fatal error during start-up: WEBTRAIL_KAFKA_PORT: a port from 1 to 65535',
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
