/** Test helper: the DiscordApiError a call ends in (anything else, or success, fails the test). */
import { DiscordApiError } from "./errors";

export async function failure(p: Promise<unknown>): Promise<DiscordApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DiscordApiError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}
