// The container's HEALTHCHECK: exit 0 when /healthz answers 200 within the timeout, else 1.
// Node is in the image and curl is not, so the check is a few lines of node:http.
// Port and host follow the same variables as auditwatch itself (AUDITWATCH_HEALTH_PORT, default 9464).
import { get } from 'node:http';

const port = Number(process.env.AUDITWATCH_HEALTH_PORT || 9464);
const host = process.env.AUDITWATCH_HEALTHCHECK_HOST || '127.0.0.1';
const path = process.argv[2] || '/healthz';
const req = get({ host, port, path, timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
