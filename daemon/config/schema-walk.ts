// Finds the zod schema that applies at a key path of the config, following the input through records,
// arrays and discriminated unions. Error messages use it for "did you mean" (the keys allowed there) and to
// describe a missing key.
import { z } from 'zod';

/** Strips wrappers that do not change which keys are allowed: optional, default, pipes (input side), … */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodReadonly ||
      current instanceof z.ZodNonOptional ||
      current instanceof z.ZodCatch
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
  return current;
}

/** For a discriminated union, the member the input selects (by its discriminator), if any. */
function member(schema: z.ZodType, input: unknown): z.ZodType {
  if (!(schema instanceof z.ZodDiscriminatedUnion)) return schema;
  const discriminator = schema.def.discriminator;
  const value = isRecord(input) ? input[discriminator] : undefined;
  for (const option of schema.options as readonly z.ZodType[]) {
    const object = unwrap(option);
    if (object instanceof z.ZodObject) {
      const field = object.shape[discriminator] as z.ZodType | undefined;
      if (field?.safeParse(value).success === true) return object;
    }
  }
  return schema;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema at `path` (unwrapped), or undefined when the path leaves the schema (an unknown key). */
export function schemaAt(
  root: z.ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): z.ZodType | undefined {
  let schema = member(unwrap(root), input);
  let value = input;
  for (const segment of path) {
    let next: z.ZodType | undefined;
    if (schema instanceof z.ZodObject)
      next = (schema.shape as Record<string, z.ZodType | undefined>)[String(segment)];
    else if (schema instanceof z.ZodRecord) next = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) next = schema.element as z.ZodType;
    if (next === undefined) return undefined;
    value =
      isRecord(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
    schema = member(unwrap(next), value);
  }
  return schema;
}

/** The keys allowed in the object at `path`, or [] when it is not an object. */
export function allowedKeysAt(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  const schema = schemaAt(root, path, input);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The description of the field at `path` (as written with .describe()), if any. */
export function descriptionAt(
  root: z.ZodType,
  path: readonly PropertyKey[],
  input: unknown,
): string | undefined {
  const parent = schemaAt(root, path.slice(0, -1), input);
  const last = path.at(-1);
  if (!(parent instanceof z.ZodObject) || last === undefined) return undefined;
  const field = (parent.shape as Record<string, z.ZodType | undefined>)[String(last)];
  return field?.description;
}
