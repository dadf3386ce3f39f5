// The text files a test Kafka broker needs: the throw-away POM that resolves its jars, its
// server.properties (single-node KRaft, static quorum, loopback only) and its logging config.

export type KafkaVersion = '4.1.1' | '3.9.1';
export const KAFKA_VERSIONS: readonly KafkaVersion[] = ['4.1.1', '3.9.1'];
export const DEFAULT_KAFKA_VERSION: KafkaVersion = '4.1.1';

export function isKafkaVersion(v: string): v is KafkaVersion {
  return (KAFKA_VERSIONS as readonly string[]).includes(v);
}

/** Kafka 4 logs through log4j2; Kafka 3 through log4j 1 (reload4j). */
export function usesLog4j2(version: KafkaVersion): boolean {
  return Number(version.split('.')[0]) >= 4;
}

function dependency(groupId: string, artifactId: string, version: string): string {
  return `    <dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency>`;
}

export function kafkaPom(version: KafkaVersion): string {
  const logging = usesLog4j2(version)
    ? [
        // kafka_2.13 brings slf4j-api 1.7.36, which cannot see the slf4j2 binding (SLF4J then falls back
        // to its no-operation logger); declaring the 2.x API here wins Maven's nearest-first mediation.
        dependency('org.slf4j', 'slf4j-api', '2.0.17'),
        dependency('org.apache.logging.log4j', 'log4j-slf4j2-impl', '2.24.3'),
        dependency('org.apache.logging.log4j', 'log4j-core', '2.24.3'),
      ]
    : [dependency('org.slf4j', 'slf4j-reload4j', '1.7.36'), dependency('ch.qos.reload4j', 'reload4j', '1.2.25')];
  return `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>auditwatch.test</groupId>
  <artifactId>kafka-runtime-${version}</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
${[dependency('org.apache.kafka', 'kafka_2.13', version), ...logging].join('\n')}
  </dependencies>
</project>
`;
}

export interface BrokerLayout {
  port: number;
  controllerPort: number;
  dataDir: string;
}

export function serverProperties(l: BrokerLayout): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${l.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${l.port},CONTROLLER://127.0.0.1:${l.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${l.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${l.dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    // Fewer internal partitions: the first consumer group then waits less for its coordinator.
    'offsets.topic.num.partitions=5',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=5',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

/** Logging config that writes `level` (WARN unless told) and above to `logFile`; returns the file text and the JVM flag that loads it. */
export function loggingConfig(version: KafkaVersion, logFile: string, configFile: string, level = 'WARN'): { text: string; jvmFlag: string } {
  if (usesLog4j2(version)) {
    const text = [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${logFile}`,
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${level}`,
      'rootLogger.appenderRef.file.ref = FILE',
      '',
    ].join('\n');
    return { text, jvmFlag: `-Dlog4j2.configurationFile=${configFile}` };
  }
  const text = [
    `log4j.rootLogger=${level}, FILE`,
    'log4j.appender.FILE=org.apache.log4j.FileAppender',
    `log4j.appender.FILE.File=${logFile}`,
    'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
  return { text, jvmFlag: `-Dlog4j.configuration=file:${configFile}` };
}
