// The `provision` and `provision verify` subcommands, registered on the CLI's program by one call
// from cli.ts (so the shared CLI file only grows by that call). Arguments are parsed here and
// handed to app/provision.ts and app/provision-verify.ts.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadRuntimeConfig } from '../config/runtime.js';
import { elasticsearchSettings, provisionSettings } from '../config/sections/provision.js';
import { AuditwatchError } from '../errors.js';
import { configDir } from './paths.js';
import { provision } from './provision.js';
import { chooseTargets, routesFileFor } from './provision-targets.js';
import { provisionVerify } from './provision-verify.js';

function httpUrl(value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value) || !URL.canParse(value)) throw new InvalidArgumentError('expected an http(s) URL');
  return value;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

interface ProvisionFlags {
  target?: 'datadog' | 'elasticsearch' | 'all';
  detectors?: string;
  config?: string;
  dryRun?: boolean;
  apply?: boolean;
  prune?: boolean;
}

interface VerifyFlags {
  detectors?: string;
  config?: string;
  esUrl?: string;
  seed: number;
  evaluations: number;
  keys: number;
  keepIndex?: boolean;
}

/** Adds `provision` (exit 0 no changes, 3 changes planned, 1 error, 2 usage/config) and `provision verify`. */
export function registerProvisionCommands(program: Command, setCode: (code: number) => void): void {
  const cmd = program
    .command('provision')
    .description('compile the detectors into Datadog log monitors and Elasticsearch templates/watches; print the plan (exit 3 when changes are planned), --apply it')
    .addOption(new Option('--target <name>', 'datadog, elasticsearch or all (default: provision.targets in auditwatch.yaml, else the configured ones, else all)').choices(['datadog', 'elasticsearch', 'all']))
    .addOption(new Option('--detectors <dir>', 'directory of detector YAML files (default: ./detectors, else the bundled ones)'))
    .option('--config <file>', 'auditwatch.yaml (default: $AUDITWATCH_CONFIG, else ./auditwatch.yaml)')
    .option('--dry-run', 'only print the plan (the default)')
    .option('--apply', 'make the planned changes')
    .option('--prune', 'also delete objects auditwatch created that no detector compiles to any more')
    .action(async (o: ProvisionFlags) => {
      if (o.dryRun === true && o.apply === true) throw new AuditwatchError('USAGE', 'provision: --dry-run and --apply exclude each other');
      const { config } = loadRuntimeConfig(o.config, process.env);
      const section = provisionSettings(config.provision);
      setCode(
        await provision({
          detectorsDir: configDir(o.detectors ?? config.detectors, 'detectors'),
          routesFile: routesFileFor(configDir(config.alerts, 'alerts'), config.alerting?.routes),
          section,
          targets: chooseTargets(o.target, section),
          apply: o.apply === true,
          prune: o.prune === true,
          deps: { env: process.env },
          stdout: process.stdout,
          stderr: process.stderr,
        }),
      );
    });

  cmd
    .command('verify')
    .description('index a generated stream into Elasticsearch, replay it through the engine, and check the compiled queries agree with it at many evaluation times (exit 0 equivalent, 1 not)')
    .addOption(new Option('--detectors <dir>', 'directory of detector YAML files'))
    .option('--config <file>', 'auditwatch.yaml (default: $AUDITWATCH_CONFIG, else ./auditwatch.yaml)')
    .addOption(new Option('--es-url <url>', 'Elasticsearch to verify on (default: provision.elasticsearch.url)').argParser(httpUrl))
    .addOption(new Option('--seed <n>', 'seed of the generated stream').argParser(positiveInt).default(1))
    .addOption(new Option('--evaluations <n>', 'evaluation times per detector').argParser(positiveInt).default(200))
    .addOption(new Option('--keys <n>', 'keys with bursts per detector').argParser(positiveInt).default(8))
    .option('--keep-index', 'keep the verify index for inspection')
    .action(async (o: VerifyFlags) => {
      const { config } = loadRuntimeConfig(o.config, process.env);
      const base = provisionSettings(config.provision);
      const section = o.esUrl === undefined ? base : { ...base, elasticsearch: { ...elasticsearchSettings(base), url: o.esUrl } };
      const summary = await provisionVerify({
        detectorsDir: configDir(o.detectors ?? config.detectors, 'detectors'),
        section,
        env: process.env,
        seed: o.seed,
        evaluations: o.evaluations,
        keysPerDetector: o.keys,
        keepIndex: o.keepIndex === true,
        stdout: process.stdout,
        stderr: process.stderr,
      });
      setCode(summary.exitCode);
    });
}
