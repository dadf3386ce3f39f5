// Where a test Elasticsearch comes from and who runs it: the integ-test zip from Maven Central unpacked
// once into <repo>/.cache/elasticsearch-<version>, a Java that it accepts, and (since Elasticsearch
// refuses to run as root) an unprivileged system user that can read the install.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, parse } from 'node:path';
import { cachePath, DEPENDENCY_PLUGIN, installOnce, requireMaven, runCommand, runMaven } from './cache.js';
import { probeCommand } from './proc.js';

export const DEFAULT_ES_VERSION = '8.19.7';
export const ES_USER = 'auditwatch-es';

async function unpack(zip: string, into: string, label: string): Promise<void> {
  if (probeCommand('unzip', ['-v']) !== undefined) {
    await runCommand(label, 'unzip', ['-q', zip, '-d', into], into);
    return;
  }
  // `jar` loses the executable bits; bin/ is restored below by chmodTree.
  if (probeCommand('jar', ['--version']) === undefined) throw new Error(`${label}: neither unzip nor jar is installed (apt-get install -y unzip)`);
  await runCommand(label, 'jar', ['xf', zip], into);
}

/** Files readable by all, folders and bin/ scripts traversable/executable by all. */
function chmodTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      chmodSync(p, 0o755);
      chmodTree(p);
    } else {
      const executable = (statSync(p).mode & 0o100) !== 0 || parse(dirname(p)).base === 'bin';
      chmodSync(p, executable ? 0o755 : 0o644);
    }
  }
}

/** The unpacked integ-test distribution of `version`; Maven runs only when the cache lacks it. */
export async function elasticsearchHome(version: string): Promise<string> {
  const home = cachePath(`elasticsearch-${version}`);
  const label = `Elasticsearch ${version} (installing into ${home})`;
  await installOnce(home, async (temp) => {
    requireMaven(label);
    const artifact = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`;
    const download = mkdtempSync(join(tmpdir(), 'auditwatch-es-zip-'));
    try {
      await runMaven(label, [`${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${download}`], download);
      const zip = join(download, `elasticsearch-${version}.zip`);
      if (!existsSync(zip)) throw new Error(`${label}: Maven finished but ${zip} is missing`);
      const unpacked = join(download, 'unpacked');
      mkdirSync(unpacked);
      await unpack(zip, unpacked, label);
      const root = join(unpacked, `elasticsearch-${version}`);
      if (!existsSync(join(root, 'bin', 'elasticsearch'))) throw new Error(`${label}: ${zip} has no elasticsearch-${version}/bin/elasticsearch`);
      for (const name of readdirSync(root)) renameSync(join(root, name), join(temp, name));
      chmodTree(temp);
      chmodSync(temp, 0o755);
    } finally {
      rmSync(download, { recursive: true, force: true });
    }
  });
  chmodSync(cachePath(), 0o755);
  return home;
}

/** True when every folder from / down to `dir` lets other users through. */
function traversableByOthers(dir: string): boolean {
  let p = realpathSync(dir);
  const { root } = parse(p);
  while (true) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (p === root) return true;
    p = dirname(p);
  }
}

/**
 * The install folder as the unprivileged user can reach it. Folders above the repository (a home
 * folder with mode 700, say) are not ours to chmod, so then the install is copied under the system
 * temp folder once and that copy is used.
 */
export async function readableHome(home: string, version: string): Promise<string> {
  if (traversableByOthers(home)) return home;
  const copy = join(tmpdir(), `auditwatch-elasticsearch-${version}`);
  await installOnce(copy, async (temp) => {
    cpSync(home, temp, { recursive: true });
    chmodTree(temp);
    chmodSync(temp, 0o755);
  });
  if (!traversableByOthers(copy)) throw new Error(`Elasticsearch ${version}: neither ${home} nor ${copy} can be reached by user ${ES_USER}`);
  return copy;
}

function idOf(flag: '-u' | '-g', user: string): number | undefined {
  const r = probeCommand('id', [flag, user]);
  if (r === undefined || r.status !== 0) return undefined;
  const n = Number(r.output.trim());
  return Number.isInteger(n) ? n : undefined;
}

/** The user to run Elasticsearch as: ourselves unless we are root, else `auditwatch-es` (created if missing). */
export async function elasticsearchUser(): Promise<{ uid: number; gid: number; name: string } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  if (idOf('-u', ES_USER) === undefined) {
    try {
      await runCommand(`Elasticsearch: creating user ${ES_USER}`, 'useradd', ['--system', '--no-create-home', ES_USER], '/');
    } catch (err: unknown) {
      if (idOf('-u', ES_USER) === undefined) throw err; // not a lost race with another test process
    }
  }
  const uid = idOf('-u', ES_USER);
  const gid = idOf('-g', ES_USER);
  if (uid === undefined || gid === undefined) throw new Error(`Elasticsearch: user ${ES_USER} exists but \`id\` cannot resolve it`);
  return { uid, gid, name: ES_USER };
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, command);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

/** ES_JAVA_HOME from the environment, else the Debian Java 17, else the JDK behind `java` on PATH. */
export function elasticsearchJavaHome(version: string): string {
  const candidates: string[] = [];
  if (process.env.ES_JAVA_HOME) candidates.push(process.env.ES_JAVA_HOME);
  candidates.push('/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/java-17-openjdk-arm64');
  const java = findOnPath('java');
  if (java !== undefined) candidates.push(dirname(dirname(realpathSync(java))));
  for (const home of candidates) {
    const bin = join(home, 'bin', 'java');
    const probe = existsSync(bin) ? probeCommand(bin, ['-version']) : undefined;
    if (probe !== undefined && probe.status === 0) return home;
  }
  throw new Error(
    `Elasticsearch ${version} needs Java 17-21 (set ES_JAVA_HOME, or apt-get install -y openjdk-17-jre-headless); tried: ${candidates.join(', ')}`,
  );
}
