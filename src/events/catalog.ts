/** The event catalog: serializers by name and the level sets, merged from features and validated as seed 003 asks. */
import { EVENT_SETS, type EventSet } from "./levels";

/** Turns the emitted object plus context into a small payload: ids and names, never secrets. */
export type Serializer = (obj: unknown, ctx: Record<string, unknown>) => Record<string, unknown>;

export interface EventDefinitions {
  serializers: Record<string, Serializer>;
  sets: Partial<Record<EventSet, readonly string[]>>;
}

export interface Catalog {
  serializers: Map<string, Serializer>;
  sets: Record<EventSet, Set<string>>;
}

const NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

export function buildCatalog(parts: readonly EventDefinitions[]): Catalog {
  const serializers = new Map<string, Serializer>();
  const sets = { CRITICAL: new Set<string>(), SYSTEM: new Set<string>(), FULL: new Set<string>(), DISABLED: new Set<string>() };
  for (const part of parts) {
    for (const [name, fn] of Object.entries(part.serializers)) serializers.set(name, fn);
    for (const set of EVENT_SETS) for (const name of part.sets[set] ?? []) sets[set].add(name);
  }
  return { serializers, sets };
}

/** Returns human-readable problems; empty when every serialized event is in exactly one level set. */
export function validateCatalog(catalog: Catalog): string[] {
  const errors: string[] = [];
  const unconfigured: string[] = [];
  const multiple: string[] = [];
  for (const name of catalog.serializers.keys()) {
    const inSets = EVENT_SETS.filter((s) => catalog.sets[s].has(name));
    if (inSets.length === 0) unconfigured.push(name);
    if (inSets.length > 1) multiple.push(`${name} (${inSets.join(", ")})`);
  }
  const noSerializer = EVENT_SETS.flatMap((s) => [...catalog.sets[s]]).filter((n) => !catalog.serializers.has(n));
  const badNames = [...catalog.serializers.keys()].filter((n) => !NAME.test(n));
  if (unconfigured.length) errors.push(`Events have serializers but no level configuration: ${unconfigured.sort().join(", ")}`);
  if (multiple.length) errors.push(`Events appear in multiple level sets: ${multiple.sort().join(", ")}`);
  if (noSerializer.length) errors.push(`Events are in a level set but have no serializer: ${[...new Set(noSerializer)].sort().join(", ")}`);
  if (badNames.length) errors.push(`Event names must be namespace.action in lower case: ${badNames.sort().join(", ")}`);
  return errors;
}

export function setOf(catalog: Catalog, name: string): EventSet | null {
  for (const s of EVENT_SETS) if (catalog.sets[s].has(name)) return s;
  return null;
}

/** A serializer that keeps only the named fields (ids and names, never whole objects). */
export function pickFields(...keys: string[]): (o: unknown) => Record<string, unknown> {
  return (o) => Object.fromEntries(keys.filter((k) => (o as Record<string, unknown>)[k] !== undefined).map((k) => [k, (o as Record<string, unknown>)[k]]));
}
