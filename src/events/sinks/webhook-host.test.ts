import { describe, expect, it } from "vitest";
import { checkWebhookUrl, formatIPv6, normaliseHost, parseAllowHosts, parseIPv6 } from "./webhook-host";

describe("normaliseHost", () => {
  it.each([
    ["LOCALHOST.", "name", "localhost"],
    ["Example.COM..", "name", "example.com"],
    ["127.1", "ipv4", "127.0.0.1"],
    ["0x7f.1", "ipv4", "127.0.0.1"],
    ["2130706433", "ipv4", "127.0.0.1"],
    ["017700000001", "ipv4", "127.0.0.1"],
    ["0177.0.0.01", "ipv4", "127.0.0.1"],
    ["0x7F000001", "ipv4", "127.0.0.1"],
    ["10.0.0.1.", "ipv4", "10.0.0.1"],
    ["0", "ipv4", "0.0.0.0"],
    ["[::1]", "ipv6", "::1"],
    ["[0:0:0:0:0:0:0:1]", "ipv6", "::1"],
    ["[::FFFF:127.0.0.1]", "ipv6", "::ffff:7f00:1"],
    ["[2001:DB8:0:0:1:0:0:1]", "ipv6", "2001:db8::1:0:0:1"],
    ["[2606:4700:4700:0:0:0:0:1111]", "ipv6", "2606:4700:4700::1111"],
    ["[1:0:0:2:0:0:0:3]", "ipv6", "1:0:0:2::3"],
    ["[1:2:3:4:5:6:7:8]", "ipv6", "1:2:3:4:5:6:7:8"],
    ["[1:0:3:4:5:6:7:8]", "ipv6", "1:0:3:4:5:6:7:8"],
  ])("%s → %s %s", (raw, kind, host) => {
    expect(normaliseHost(raw)).toEqual({ kind, host });
  });

  it.each(["", ".", "1.2.3.4.5", "256.0.0.1", "foo.0x7f", "08.0.0.1", "a..b", "[::1::2]", "[1:2:3:4:5:6:7:8:9]", "[fe80::1%eth0]", "[::ffff:127.0.0.01]"])(
    "%j is no host",
    (raw) => {
      expect(normaliseHost(raw)).toBeNull();
    },
  );

  it("round-trips what the URL parser prints for IPv6", () => {
    for (const h of ["[::]", "[::1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[fe80::1]", "[2001:db8::1:0:0:1]"]) {
      expect(`[${normaliseHost(new URL(`https://${h}/`).hostname)?.host}]`).toBe(new URL(`https://${h}/`).hostname);
    }
    expect(formatIPv6(parseIPv6("0:0:1:0:0:0:0:0") as number[])).toBe("0:0:1::");
  });
});

describe("checkWebhookUrl", () => {
  // Every one of these reaches the bot's own network, a private one, or nothing public; each must be refused.
  const hostile = [
    "https://localhost/",
    "https://localhost./",
    "https://LOCALHOST../",
    "https://api.localhost/",
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://router.lan/",
    "https://nas.home.arpa/",
    "https://intranet/",
    "https://x.test/",
    "https://127.0.0.1/",
    "https://127.1/",
    "https://0x7f.1/",
    "https://2130706433/",
    "https://017700000001/",
    "https://127.0.0.1./",
    "https://0.0.0.0/",
    "https://0/",
    "https://10.1.2.3/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://169.254.169.254/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.0.0.8/",
    "https://192.0.2.1/",
    "https://192.88.99.1/",
    "https://192.168.1.1/",
    "https://198.18.0.1/",
    "https://198.19.255.255/",
    "https://198.51.100.7/",
    "https://203.0.113.9/",
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://[::]/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::127.0.0.1]/", // IPv4-compatible
    "https://[::ffff:127.0.0.1]/", // IPv4-mapped
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[64:ff9b::7f00:1]/", // NAT64
    "https://[64:ff9b::10.0.0.1]/",
    "https://[64:ff9b:1::1]/", // local-use NAT64
    "https://[2002:7f00:1::]/", // 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
    "https://[2001:db8::1]/",
    "https://[3fff::1]/",
    "https://[100::1]/",
    "https://[fe80::1]/",
    "https://[febf:ffff::1]/", // the end of fe80::/10, not only fe80::/16
    "https://[fec0::1]/",
    "https://[feff::1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[ff02::1]/",
    "https://[ff05::fb]/",
    "http://example.com/", // public but not https
    "ftp://example.com/",
    "file:///etc/passwd",
    "not a url",
  ];
  it.each(hostile)("refuses %s", (url) => {
    expect(checkWebhookUrl(url, [])).toMatchObject({ ok: false });
  });

  it.each([
    ["https://example.com/hook", "example.com"],
    ["https://Hooks.Example.COM./x", "hooks.example.com"],
    ["https://8.8.8.8/", "8.8.8.8"],
    ["https://1.1.1.1:8443/", "1.1.1.1"],
    ["https://100.63.255.255/", "100.63.255.255"],
    ["https://100.128.0.1/", "100.128.0.1"],
    ["https://172.32.0.1/", "172.32.0.1"],
    ["https://198.20.0.1/", "198.20.0.1"],
    ["https://[2606:4700:4700::1111]/", "2606:4700:4700::1111"],
    ["https://[2a00:1450:4001:82b::200e]/", "2a00:1450:4001:82b::200e"],
  ])("accepts %s", (url, host) => {
    expect(checkWebhookUrl(url, [])).toEqual({ ok: true, host });
  });

  it("says why", () => {
    expect(checkWebhookUrl("https://localhost./", [])).toEqual({ ok: false, host: "localhost", reason: "local-name" });
    expect(checkWebhookUrl("https://0x7f.1/", [])).toEqual({ ok: false, host: "127.0.0.1", reason: "special-address" });
    expect(checkWebhookUrl("http://example.com/", [])).toEqual({ ok: false, host: "example.com", reason: "scheme" });
    expect(checkWebhookUrl("nope", [])).toEqual({ ok: false, host: null, reason: "invalid" });
  });

  it("lets the operator's allow-list through, matching the normalised host exactly", () => {
    const allow = parseAllowHosts(" 127.0.0.1 , Hooks.Corp. ,[::1], not..valid");
    expect(allow).toEqual(["127.0.0.1", "hooks.corp", "::1"]);
    expect(checkWebhookUrl("http://127.0.0.1:8790/x", allow)).toEqual({ ok: true, host: "127.0.0.1" });
    expect(checkWebhookUrl("http://2130706433:8790/x", allow)).toEqual({ ok: true, host: "127.0.0.1" });
    expect(checkWebhookUrl("https://hooks.corp./x", allow)).toEqual({ ok: true, host: "hooks.corp" });
    expect(checkWebhookUrl("https://[0:0::1]/x", allow)).toEqual({ ok: true, host: "::1" });
    // Exact: neighbours, subdomains and other spellings of other addresses stay refused.
    expect(checkWebhookUrl("http://127.0.0.2/", allow)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://a.hooks.corp/", allow)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://localhost/", allow)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("https://[::ffff:127.0.0.1]/", allow)).toMatchObject({ ok: false });
    expect(checkWebhookUrl("ftp://127.0.0.1/", allow)).toMatchObject({ ok: false, reason: "scheme" });
  });
});
