/** Custom-command test steps as a member takes them: /cc create, then the modal with the answer. */
import { expect } from "vitest";
import { type Fixture, interact } from "./helpers";

export type Data = { content?: string; custom_id?: string; components?: { components: { value?: string }[] }[] };
export const data = (r: { response: unknown }) => (r.response as { data: Data }).data;

export async function create(g: Fixture, userId: string, name: string, text: string) {
  const open = await interact({ kind: "command", name: "cc", subcommand: "create", options: { name }, guild_id: g.guild_id, user_id: userId });
  if (open.response.type !== 9) return data(open).content ?? "";
  expect(open.valid).toBe(true);
  const submitted = await interact({ kind: "modal", custom_id: data(open).custom_id, fields: { response: text }, guild_id: g.guild_id, user_id: userId });
  return data(submitted).content ?? "";
}

export const run = async (g: Fixture, userId: string, name: string) =>
  interact({ kind: "command", name: "cc", subcommand: "run", options: { name }, guild_id: g.guild_id, user_id: userId });
