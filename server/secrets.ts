/**
 * Files whose content must never reach a prompt or the prefix cache: environment files, keys, credentials.
 * The host enforces it (completions in such files are refused); the extension uses it for chat context.
 */
import path from "node:path";

const SECRET_NAMES = [
  /^\.env(\..*)?$/i, // .env, .env.local, .env.production …
  /^\.?netrc$/i,
  /^\.npmrc$/i,
  /^\.pypirc$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore|asc|gpg|kdbx)$/i,
  /^credentials(\.json)?$/i,
  /^secrets?\.(json|ya?ml|toml)$/i,
  /\.tfvars$/i,
];

export function isSecretPath(file: string): boolean {
  const name = path.basename(file.replace(/^file:\/\//, ""));
  if (SECRET_NAMES.some((re) => re.test(name))) return true;
  return /(^|[\\/])(\.ssh|\.aws|\.gnupg)[\\/]/.test(file);
}
