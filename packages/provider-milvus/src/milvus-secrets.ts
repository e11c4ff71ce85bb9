/**
 * Some Milvus deployments echo the credentials they were sent in their errors (a 1800 "invalid token <token>"), and
 * the HTTP body of a proxy in front of Milvus can carry anything. Upstream text is cleaned of the store's secrets
 * before it becomes an answer, an error or a log line.
 */

/** The secret parts of a Milvus token: the whole token, its base64 (gRPC metadata) and, for `user:password`, the password. */
export function secretsOfToken(token: string | undefined): string[] {
  if (token === undefined || token === "") return [];
  const secrets = [token, Buffer.from(token, "utf8").toString("base64")];
  const colon = token.indexOf(":");
  if (colon >= 0 && colon < token.length - 1) secrets.push(token.slice(colon + 1));
  // Longest first, so a token is removed whole before a part of it is looked for.
  return secrets.sort((a, b) => b.length - a.length);
}

/** `text` with every secret replaced by `[redacted]`; secrets shorter than 3 characters are not searched for. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret.length >= 3) redacted = redacted.split(secret).join("[redacted]");
  }
  return redacted;
}
