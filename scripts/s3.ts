// npm run s3:start | s3:stop | s3:status — the local S3-compatible server (s3proxy).
import { errorMessage, UserInputError } from '../platform/index.ts';
import { s3Answers, s3Paths, startS3, stopS3 } from './localS3.ts';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const s3 = await startS3(process.env, (line) => console.log(line));
      console.log(`${s3.started ? 's3proxy ready' : 's3proxy already running'} on ${s3.endpoint}, bucket ${s3.bucket}`);
      console.log(
        `to use it: source ${s3Paths().envFile}   (sets WEBTRAIL_BLOB_URL=${s3.env.WEBTRAIL_BLOB_URL}, the endpoint and the local access key)`,
      );
      return;
    }
    case 'stop': {
      const stopped = await stopS3();
      console.log(stopped ? 's3proxy stopped' : `no local s3proxy running (pid file ${s3Paths().pidFile})`);
      return;
    }
    case 'status': {
      const endpoint = `http://127.0.0.1:${process.env.WEBTRAIL_S3_PORT ?? 9300}`;
      const up = await s3Answers(endpoint);
      console.log(`${endpoint}: ${up ? 'up' : 'down'}`);
      process.exitCode = up ? 0 : 1;
      return;
    }
    default:
      throw new UserInputError('usage: s3.ts start|stop|status');
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(`s3: ${errorMessage(error)}`);
  process.exit(error instanceof UserInputError ? 2 : 1);
});
