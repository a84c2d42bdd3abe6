import { describe, expect, it } from "vitest";
import { isSecretPath } from "../../server/secrets";

describe("isSecretPath", () => {
  it.each([".env", "app/.env.local", "/home/me/.ssh/config", "deploy/key.pem", "id_ed25519", "prod.tfvars", "secrets.yaml", ".npmrc", "C:\\Users\\me\\.aws\\credentials"])(
    "treats %s as secret",
    (p) => expect(isSecretPath(p)).toBe(true),
  );
  it.each(["src/env.ts", "README.md", "keys.ts", "docs/environment.md", "server/secrets.ts"])("lets %s through", (p) =>
    expect(isSecretPath(p)).toBe(false),
  );
});
