// The device profiles Sluice ships, listed by hand (no directory scanning), validated by their schema when this
// module loads, and the schema of a `profile:` reference in config.
import { z } from 'zod';
import { nmeaGps } from './nmea-gps.js';
import { profileSchema, type Profile } from './schema.js';
import { sdm120Modbus } from './sdm120-modbus.js';
import { sht3xModbus } from './sht3x-modbus.js';

export * from './schema.js';

/** Every shipped profile, parsed (defaults applied, durations in ms). Add a new one here and in its own file. */
export const profiles: readonly Profile[] = [sht3xModbus, sdm120Modbus, nmeaGps].map((p) =>
  profileSchema.parse(p),
);

export const PROFILE_IDS = profiles.map((p) => p.id);

/** The profile with this id, or undefined. */
export function findProfile(id: string): Profile | undefined {
  return profiles.find((p) => p.id === id);
}

/** `profile: sht3x-modbus` in a receiver's config: must name a shipped profile. */
export const profileIdSchema = z
  .string()
  .superRefine((id, ctx) => {
    if (findProfile(id) !== undefined) return;
    ctx.addIssue({
      code: 'custom',
      input: id,
      message: `unknown device profile "${id}"`,
      params: { hint: `use one of: ${PROFILE_IDS.join(', ')}; or describe the device inline` },
    });
  })
  .meta({ title: 'device profile', enum: PROFILE_IDS })
  .describe(`A shipped device profile: ${PROFILE_IDS.join(', ')}.`);
