// Free loopback TCP ports for the test services. The OS picks them (port 0); all requested ports are
// held open at the same time so one call never returns the same port twice, then released for the
// service to bind. A service that loses the race afterwards sees "Address already in use" and its
// starter retries on new ports (see kafka.ts / elasticsearch.ts).
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

function listenOnce(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: Error) => reject(new Error(`could not reserve a free port on ${host}: ${err.message}`)));
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not read the port the OS gave on ${host}`));
        return;
      }
      resolve({ server, port: address.port });
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct free TCP ports on the loopback address. */
export async function freePorts(count: number, host: string = LOOPBACK): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const { server, port } = await listenOnce(host);
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}

/** One free TCP port on the loopback address. */
export async function freePort(host: string = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  if (port === undefined) throw new Error(`could not reserve a free port on ${host}`);
  return port;
}
