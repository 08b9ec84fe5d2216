// The dashboard's settings: environment first (the k8s ConfigMap), command-line options over it.
import { z } from 'zod';
import { loadRuntimeConfig, parseEnv, SERVICE_NAMES, type Env, type ServiceName } from '../platform/index.ts';

export interface DashboardConfig {
  port: number;
  host: string;
  from: 'beginning' | 'now';
  traceUrl?: string;
  groups: Record<ServiceName, string>;
}

const traceUrl = z
  .string()
  .url('must be a URL')
  .refine(
    (u) => /^https?:\/\//.test(u) && u.includes('{traceId}'),
    'must be an http(s) URL with {traceId} where the trace id goes, e.g. http://localhost:16686/trace/{traceId}',
  );

const Settings = z.object({
  WEBTRAIL_DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).default(8790),
  WEBTRAIL_DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  WEBTRAIL_DASHBOARD_FROM: z.enum(['beginning', 'now']).default('beginning'),
  WEBTRAIL_TRACE_UI_URL: traceUrl.optional(),
});

export function loadDashboardConfig(
  env: Env = process.env,
  overrides: { port?: string; host?: string; from?: string; traceUrl?: string } = {},
): DashboardConfig {
  const merged: Env = {
    ...env,
    ...(overrides.port !== undefined ? { WEBTRAIL_DASHBOARD_PORT: overrides.port } : {}),
    ...(overrides.host !== undefined ? { WEBTRAIL_DASHBOARD_HOST: overrides.host } : {}),
    ...(overrides.from !== undefined ? { WEBTRAIL_DASHBOARD_FROM: overrides.from } : {}),
    ...(overrides.traceUrl !== undefined ? { WEBTRAIL_TRACE_UI_URL: overrides.traceUrl } : {}),
  };
  const s = parseEnv(Settings, merged);
  return {
    port: s.WEBTRAIL_DASHBOARD_PORT,
    host: s.WEBTRAIL_DASHBOARD_HOST,
    from: s.WEBTRAIL_DASHBOARD_FROM,
    ...(s.WEBTRAIL_TRACE_UI_URL ? { traceUrl: s.WEBTRAIL_TRACE_UI_URL } : {}),
    groups: Object.fromEntries(SERVICE_NAMES.map((name) => [name, loadRuntimeConfig(name, env).groupId])) as Record<
      ServiceName,
      string
    >,
  };
}
