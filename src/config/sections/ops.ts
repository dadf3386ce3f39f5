import { z } from 'zod';

/** The `ops` section of auditwatch.yaml. (Placeholder: its owner fills in the fields.) */
export const opsSectionSchema = z.strictObject({});
