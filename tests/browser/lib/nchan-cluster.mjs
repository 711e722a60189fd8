// The two-node nginx + nchan cluster of examples/scale-out/ (one Redis, two
// nodes on free loopback ports), run by its cluster.sh in a temporary
// directory, for tests that play through nchan.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

export const CLUSTER_SH = fileURLToPath(new URL('../../../examples/scale-out/cluster.sh', import.meta.url));
const NCHAN_MODULE = process.env.NCHAN_MODULE ?? '/usr/lib/nginx/modules/ngx_nchan_module.so';

// nginx lives in /usr/sbin, which a normal user's PATH may lack.
const PATH = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'].join(':');

/** Finds a program on the PATH cluster.sh gets. */
function which(name) {
  if (name.includes('/')) return fs.existsSync(name) ? name : null;
  for (const dir of PATH.split(':')) {
    const file = path.join(dir || '.', name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why the cluster cannot run here (a reason for test.skip), or null when it can. */
export function clusterMissing() {
  const missing = [];
  if (!fs.existsSync(CLUSTER_SH)) missing.push(CLUSTER_SH);
  if (!which('nginx')) missing.push('nginx (Debian: nginx)');
  if (!which(process.env.REDIS_SERVER ?? 'redis-server')) missing.push('redis-server (Debian: redis-server)');
  if (!which(process.env.REDIS_CLI ?? 'redis-cli')) missing.push('redis-cli (Debian: redis-tools)');
  if (!fs.existsSync(NCHAN_MODULE)) missing.push(`${NCHAN_MODULE} (Debian: libnginx-mod-nchan)`);
  return missing.length > 0 ? `needs ${missing.join(', ')}` : null;
}

function clusterEnv() {
  // nginx lives in /usr/sbin, which a user's PATH may lack.
  return { ...process.env, PATH };
}

/**
 * Starts Redis and two nodes in a new temporary directory; resolves to
 * {dir, env (NODE1_PUBLISH, NODE1_SUBSCRIBE, ...), stop(part?), log(node)}.
 * `stop()` stops everything and removes the directory; `stop('node1')` stops one part.
 */
export async function startCluster(options = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gst-sse-nchan-'));
  const env = clusterEnv();
  let out;
  try {
    out = await run('bash', [CLUSTER_SH, 'start', '--dir', dir, ...options], { env, timeout: 30000 });
  } catch (e) {
    await run('bash', [CLUSTER_SH, 'stop', '--dir', dir], { env }).catch(() => {});
    throw new Error(`cluster.sh start failed (its logs are in ${dir}): ${e.stderr || e.message}`, { cause: e });
  }
  const vars = {};
  for (const line of out.stdout.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  let stopped = false;
  return {
    dir,
    env: vars,
    async stop(part) {
      if (part) {
        await run('bash', [CLUSTER_SH, 'stop', '--dir', dir, '--only', part], { env });
        return;
      }
      if (stopped) return;
      stopped = true;
      await run('bash', [CLUSTER_SH, 'stop', '--dir', dir], { env }).catch(() => {});
      if (!process.env.KEEP_CLUSTER_DIR) fs.rmSync(dir, { recursive: true, force: true });
    },
    /**
     * The channel as node `n` (1 or 2) sees it: {messages, subscribers,
     * last_message_id, ...}, or null before anything was published.
     */
    async channel(n = 1) {
      const res = await fetch(vars[`NODE${n}_PUBLISH`], { headers: { Accept: 'application/json' } });
      return res.ok ? res.json() : null;
    },
    /** A node's access log (requests with their query strings). */
    accessLog(node) {
      try {
        return fs.readFileSync(path.join(dir, node, 'access.log'), 'utf8');
      } catch {
        return '';
      }
    },
  };
}
