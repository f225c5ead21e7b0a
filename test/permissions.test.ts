import { PermissionFlagsBits as F, OverwriteType } from "discord-api-types/v10";
import { describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, basePermissions, channelPermissions, missingPermissions } from "../src/discord/permissions";

const guild = {
  id: "1",
  ownerId: "99",
  roles: [
    { id: "1", permissions: String(F.ViewChannel | F.SendMessages) },
    { id: "10", permissions: String(F.ManageChannels) },
    { id: "11", permissions: String(F.Administrator) },
  ],
};

describe("permissions", () => {
  it.each([
    ["owner", { userId: "99", roleIds: [] }, ALL_PERMISSIONS],
    ["@everyone only", { userId: "5", roleIds: [] }, F.ViewChannel | F.SendMessages],
    ["with a role", { userId: "5", roleIds: ["10"] }, F.ViewChannel | F.SendMessages | F.ManageChannels],
    ["administrator", { userId: "5", roleIds: ["11"] }, ALL_PERMISSIONS],
  ])("base permissions: %s", (_name, member, expected) => {
    expect(basePermissions(guild, member)).toBe(expected);
  });

  it("applies overwrites in Discord's order: everyone, roles, member", () => {
    const member = { userId: "5", roleIds: ["10"] };
    const deny = (id: string, type: OverwriteType, bits: bigint) => ({ id, type, allow: "0", deny: String(bits) });
    const allow = (id: string, type: OverwriteType, bits: bigint) => ({ id, type, allow: String(bits), deny: "0" });
    expect(channelPermissions(guild, member, [deny("1", OverwriteType.Role, F.ViewChannel)]) & F.ViewChannel).toBe(0n);
    expect(
      channelPermissions(guild, member, [deny("1", OverwriteType.Role, F.ViewChannel), allow("10", OverwriteType.Role, F.ViewChannel)]) & F.ViewChannel,
    ).toBe(F.ViewChannel);
    expect(
      channelPermissions(guild, member, [allow("10", OverwriteType.Role, F.SendMessages), deny("5", OverwriteType.Member, F.SendMessages)]) & F.SendMessages,
    ).toBe(0n);
    expect(channelPermissions(guild, { userId: "5", roleIds: ["11"] }, [deny("1", OverwriteType.Role, F.ViewChannel)])).toBe(ALL_PERMISSIONS);
  });

  it("names what is missing", () => {
    expect(missingPermissions(F.ViewChannel, F.ViewChannel | F.ManageRoles | F.ManageEvents)).toEqual(["Manage Roles", "Manage Events"]);
    expect(missingPermissions(F.Administrator, F.ManageRoles)).toEqual([]);
  });
});
