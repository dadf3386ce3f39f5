import { z } from 'zod';

/** The `kafka` section of auditwatch.yaml. (Placeholder: its owner fills in the fields.) */
export const kafkaSectionSchema = z.strictObject({});
