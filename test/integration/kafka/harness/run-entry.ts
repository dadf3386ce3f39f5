// `auditwatch run` on Kafka without the rest of the CLI: the same function the CLI's run command
// calls when Kafka is configured (app/kafka/from-config.ts), in a process that starts in a
// fraction of the time (the full CLI loads every command's dependencies). The CLI wiring itself
// is covered by the tests that run the real CLI (errors.test.ts).
import { kafkaRuntimeConfig, runKafkaFromConfig } from '../../../../src/app/kafka/from-config.js';
import { exitWhenDone } from '../../../../src/exit.js';

async function main(): Promise<number> {
  const config = kafkaRuntimeConfig(undefined, process.env);
  if (config === undefined) {
    process.stderr.write('run-entry: no Kafka configuration (set AUDITWATCH_CONFIG)\n');
    return 2;
  }
  return runKafkaFromConfig({ config, env: process.env, stdout: process.stdout, stderr: process.stderr });
}

exitWhenDone(main());
