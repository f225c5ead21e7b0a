/** Discord ids carry their creation time: used to tell an object the bot just made from anything older. */

const DISCORD_EPOCH = 1_420_070_400_000n;

export function snowflakeTime(id: string): number {
  try {
    return Number((BigInt(id) >> 22n) + DISCORD_EPOCH);
  } catch {
    return 0;
  }
}
