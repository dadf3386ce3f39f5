import { z } from 'zod';

/** The `alerting` section of auditwatch.yaml. (Placeholder: its owner fills in the fields.) */
export const alertingSectionSchema = z.strictObject({});
