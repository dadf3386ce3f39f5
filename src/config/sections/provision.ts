import { z } from 'zod';

/** The `provision` section of auditwatch.yaml. (Placeholder: its owner fills in the fields.) */
export const provisionSectionSchema = z.strictObject({});
