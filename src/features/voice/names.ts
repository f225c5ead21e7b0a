/** Codenames for public temporary channels: adjective + noun, never one a live channel of the guild uses. */

const ADJECTIVES = [
  "Amber",
  "Arctic",
  "Bold",
  "Brisk",
  "Cobalt",
  "Crimson",
  "Dusky",
  "Echo",
  "Emerald",
  "Feral",
  "Frosty",
  "Gilded",
  "Hidden",
  "Iron",
  "Jade",
  "Lucky",
  "Lunar",
  "Mellow",
  "Misty",
  "Noble",
  "Obsidian",
  "Quiet",
  "Rapid",
  "Rusty",
  "Scarlet",
  "Silent",
  "Solar",
  "Stormy",
  "Swift",
  "Velvet",
  "Wild",
  "Zesty",
];
const NOUNS = [
  "Badger",
  "Beacon",
  "Canyon",
  "Comet",
  "Condor",
  "Falcon",
  "Fjord",
  "Glacier",
  "Harbor",
  "Heron",
  "Jaguar",
  "Lantern",
  "Meadow",
  "Mesa",
  "Nebula",
  "Otter",
  "Panther",
  "Pike",
  "Quarry",
  "Raven",
  "Reef",
  "Summit",
  "Tiger",
  "Tundra",
  "Viper",
  "Walrus",
  "Willow",
  "Yak",
];

/** A codename not in `taken` (case-insensitive), or null when every pair is live (896 of them). */
export function codename(taken: ReadonlySet<string>, random: () => number = Math.random): string | null {
  const lower = new Set([...taken].map((t) => t.toLowerCase()));
  const total = ADJECTIVES.length * NOUNS.length;
  const offset = Math.floor(random() * total);
  for (let k = 0; k < total; k++) {
    const i = (offset + k * 7919) % total; // a prime stride visits every pair once
    const name = `${ADJECTIVES[Math.floor(i / NOUNS.length)]} ${NOUNS[i % NOUNS.length]}`;
    if (!lower.has(name.toLowerCase())) return name;
  }
  return null;
}

/** A member-given name: 1–100 characters after trimming, no mentions or line breaks. */
export function validName(input: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = input.trim().replace(/\s+/g, " ");
  if (!name) return { ok: false, reason: "The name is empty." };
  if ([...name].length > 100) return { ok: false, reason: "Channel names can be at most 100 characters." };
  if (/[@#]|<[@#&]/.test(name)) return { ok: false, reason: "Channel names cannot contain @ or #." };
  return { ok: true, name };
}
