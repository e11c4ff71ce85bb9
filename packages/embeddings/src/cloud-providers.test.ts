import { createHash, createHmac, createVerify, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gaxios } from "google-auth-library";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BadRequestError, VsError } from "@vs/core";
import { createEmbeddingModel } from "./index.js";
import { FakeEmbeddingServer, type RecordedRequest } from "@vs/test-support";

let server: FakeEmbeddingServer;
beforeAll(async () => {
  server = await new FakeEmbeddingServer(3).start();
});
afterEach(() => {
  server.requests.length = 0;
  server.responder = undefined;
});
afterAll(async () => {
  await server.close();
});

const ACCESS_KEY = "AKIDEXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/**
 * SigV4 computed here from AWS's documented algorithm (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html),
 * independently of the signing library, from what the server received.
 */
function expectedSignature(request: RecordedRequest, secret: string, region: string): { signature: string; signedHeaders: string } {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? "";
  const amzDate = String(request.headers["x-amz-date"]);
  const date = amzDate.slice(0, 8);
  // Every service but S3 encodes the already-encoded path once more.
  const canonicalUri = request.url
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => `${name}:${String(request.headers[name]).trim()}\n`)
    .join("");
  const canonicalRequest = ["POST", canonicalUri, "", canonicalHeaders, signedHeaders, createHash("sha256").update(request.rawBody).digest("hex")].join("\n");
  const scope = `${date}/${region}/bedrock/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  for (const part of [region, "bedrock", "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return { signature: createHmac("sha256", key).update(stringToSign).digest("hex"), signedHeaders };
}

describe("bedrock/", () => {
  it("Titan v2: one signed InvokeModel per text, {inputText, dimensions}, the signature checks out, usage from inputTextTokenCount", async () => {
    server.responder = (request) => ({ status: 200, body: { embedding: server.vectorFor(String(request.body.inputText)), inputTextTokenCount: 4 } });
    const model = createEmbeddingModel(
      "bedrock/amazon.titan-embed-text-v2:0",
      { aws_bedrock_runtime_endpoint: server.baseUrl, dimensions: 3 },
      { env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION_NAME: "eu-west-1" } },
    );
    const result = await model.embed(["first text", "second"], { inputType: "query" });
    expect(result).toEqual({ vectors: [server.vectorFor("first text"), server.vectorFor("second")], usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect(server.requests).toHaveLength(2);
    const request = server.requests[0]!;
    expect(request.url).toBe("/model/amazon.titan-embed-text-v2%3A0/invoke");
    expect(request.body).toEqual({ inputText: "first text", dimensions: 3 });
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/\\d{8}/eu-west-1/bedrock/aws4_request, SignedHeaders=`));
    const { signature, signedHeaders } = expectedSignature(request, SECRET_KEY, "eu-west-1");
    expect(signedHeaders.split(";")).toEqual(expect.arrayContaining(["content-type", "host", "x-amz-date"]));
    expect(authorization).toContain(`Signature=${signature}`);
    // The same check with a wrong secret fails: the test can tell a bad signature from a good one.
    expect(authorization).not.toContain(`Signature=${expectedSignature(request, "wrong", "eu-west-1").signature}`);
    expect(model.inputCostPerToken).toBe(2e-8);
  });

  it("Cohere on Bedrock: {texts, input_type, embedding_types} per mode, usage from the token-count header, session token signed", async () => {
    server.responder = (request) => ({
      status: 200,
      headers: { "x-amzn-bedrock-input-token-count": "6" },
      body: {
        id: "1",
        response_type: "embeddings_by_type",
        embeddings: { float: (request.body.texts as string[]).map((text) => server.vectorFor(text)) },
        texts: request.body.texts,
      },
    });
    const model = createEmbeddingModel(
      "bedrock/cohere.embed-english-v3",
      {
        aws_bedrock_runtime_endpoint: server.baseUrl,
        aws_region_name: "us-east-1",
        aws_access_key_id: ACCESS_KEY,
        aws_secret_access_key: SECRET_KEY,
        aws_session_token: "session-token-xyz",
        dimensions: 3,
      },
      { env: {} },
    );
    await model.embed(["q"], { inputType: "query" });
    const result = await model.embed(["d1", "d2"], { inputType: "document" });
    expect(server.requests.map((request) => request.body)).toEqual([
      { texts: ["q"], input_type: "search_query", embedding_types: ["float"], output_dimension: 3 },
      { texts: ["d1", "d2"], input_type: "search_document", embedding_types: ["float"], output_dimension: 3 },
    ]);
    expect(result.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    const request = server.requests[0]!;
    expect(request.headers["x-amz-security-token"]).toBe("session-token-xyz");
    const { signature, signedHeaders } = expectedSignature(request, SECRET_KEY, "us-east-1");
    expect(signedHeaders.split(";")).toContain("x-amz-security-token");
    expect(String(request.headers.authorization)).toContain(`Signature=${signature}`);
  });

  it("reads credentials from a profile in the shared credentials file", async () => {
    server.responder = (request) => ({ status: 200, body: { embedding: server.vectorFor(String(request.body.inputText)), inputTextTokenCount: 1 } });
    const directory = mkdtempSync(join(tmpdir(), "vs-aws-"));
    writeFileSync(join(directory, "credentials"), `[team]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n`);
    writeFileSync(join(directory, "config"), "");
    const model = createEmbeddingModel(
      "bedrock/amazon.titan-embed-text-v2:0",
      { aws_bedrock_runtime_endpoint: server.baseUrl, aws_profile_name: "team", dimensions: 3 },
      {
        env: { AWS_REGION: "us-west-2", AWS_SHARED_CREDENTIALS_FILE: join(directory, "credentials"), AWS_CONFIG_FILE: join(directory, "config") },
      },
    );
    await model.embed(["x"]);
    const request = server.requests[0]!;
    expect(String(request.headers.authorization)).toContain("Credential=AKIDPROFILE/");
    expect(String(request.headers.authorization)).toContain(`Signature=${expectedSignature(request, "profile-secret", "us-west-2").signature}`);
  });

  it("maps Bedrock's {message} + x-amzn-errortype, and refuses unknown families and a missing region at creation", async () => {
    server.reply({
      status: 403,
      headers: { "x-amzn-errortype": "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/" },
      body: { message: "You don't have access to the model with the specified model ID." },
    });
    const model = createEmbeddingModel(
      "bedrock/amazon.titan-embed-text-v2:0",
      { aws_bedrock_runtime_endpoint: server.baseUrl, dimensions: 3 },
      { env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_REGION: "us-east-1" } },
    );
    const error = await model.embed(["x"]).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(VsError.isInstance(error) && error.code).toBe("embedding_error:AccessDeniedException");
    expect(String((error as Error).message)).toContain("You don't have access to the model");
    expect(String((error as Error).message)).not.toContain(SECRET_KEY);
    expect(() => createEmbeddingModel("bedrock/meta.llama3", {}, { env: { AWS_REGION: "us-east-1" } })).toThrow(
      /unknown Bedrock embedding model; supported families: amazon\.titan-embed-text-v2/,
    );
    expect(() => createEmbeddingModel("bedrock/amazon.titan-embed-text-v2:0", {}, { env: {} })).toThrow(BadRequestError);
  });
});

describe("vertex_ai/", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const serviceAccount = {
    type: "service_account",
    project_id: "my-project",
    private_key_id: "k1",
    private_key: privateKey,
    client_email: "vs@my-project.iam.gserviceaccount.com",
    client_id: "1",
    token_uri: "https://oauth2.googleapis.com/token",
  };

  /** The library's own HTTP client, with Google's hosts sent to the loopback server instead. */
  function loopbackTransporter(): InstanceType<typeof gaxios.Gaxios> {
    const transporter = new gaxios.Gaxios();
    transporter.interceptors.request.add({
      resolved: async (options) => {
        const url = new URL(String(options.url));
        if (url.hostname.endsWith("googleapis.com")) options.url = new URL(`${server.baseUrl}/google-token${url.pathname}`);
        return options;
      },
    });
    return transporter;
  }

  it("gets a token with a service-account JWT, posts {instances: [{content, task_type}], parameters} to :predict, sums token_count", async () => {
    server.responder = (request) => {
      if (request.url.startsWith("/google-token"))
        return { status: 200, body: { access_token: "ya29.test-access-token", expires_in: 3600, token_type: "Bearer" } };
      const instances = request.body.instances as Array<{ content: string }>;
      return {
        status: 200,
        body: {
          predictions: instances.map((instance) => ({
            embeddings: { values: server.vectorFor(instance.content), statistics: { token_count: 2, truncated: false } },
          })),
        },
      };
    };
    const model = createEmbeddingModel(
      "vertex_ai/text-embedding-005",
      { api_base: server.baseUrl, vertex_credentials: JSON.stringify(serviceAccount), vertex_location: "europe-west4", dimensions: 3 },
      { env: {}, googleAuthClientOptions: { transporter: loopbackTransporter() } },
    );
    await model.embed(["q"], { inputType: "query" });
    const result = await model.embed(["d1", "d2"], { inputType: "document" });
    expect(result).toEqual({ vectors: [server.vectorFor("d1"), server.vectorFor("d2")], usage: { prompt_tokens: 4, total_tokens: 4 } });

    const [token, query, document] = server.requests;
    expect(server.requests).toHaveLength(3); // the token is cached across calls
    const form = new URLSearchParams(token!.rawBody);
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const [header, claims, signature] = String(form.get("assertion")).split(".");
    const verifier = createVerify("RSA-SHA256").update(`${header}.${claims}`);
    expect(verifier.verify(publicKey, Buffer.from(String(signature), "base64url"))).toBe(true);
    expect(JSON.parse(Buffer.from(String(claims), "base64url").toString())).toMatchObject({
      iss: serviceAccount.client_email,
      scope: "https://www.googleapis.com/auth/cloud-platform",
    });

    expect(query!.url).toBe("/v1/projects/my-project/locations/europe-west4/publishers/google/models/text-embedding-005:predict");
    expect(query!.headers.authorization).toBe("Bearer ya29.test-access-token");
    expect(query!.body).toEqual({ instances: [{ content: "q", task_type: "RETRIEVAL_QUERY" }], parameters: { outputDimensionality: 3 } });
    expect(document!.body.instances).toEqual([
      { content: "d1", task_type: "RETRIEVAL_DOCUMENT" },
      { content: "d2", task_type: "RETRIEVAL_DOCUMENT" },
    ]);
    expect(model.inputCostPerToken).toBe(1e-7);
  });

  it("maps Google's error and redacts the access token; a refused token request is a 502 naming the credentials", async () => {
    server.responder = (request) => {
      if (request.url.startsWith("/google-token")) return { status: 200, body: { access_token: "ya29.another-token", expires_in: 3600, token_type: "Bearer" } };
      return { status: 403, body: { error: { code: 403, message: "Permission denied for ya29.another-token", status: "PERMISSION_DENIED" } } };
    };
    const model = createEmbeddingModel(
      "vertex_ai/text-embedding-005",
      { api_base: server.baseUrl, vertex_credentials: JSON.stringify(serviceAccount) },
      { env: {}, googleAuthClientOptions: { transporter: loopbackTransporter() } },
    );
    const error = await model.embed(["x"]).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(VsError.isInstance(error) && error.code).toBe("embedding_error:PERMISSION_DENIED");
    expect(String((error as Error).message)).toContain("Permission denied for [redacted]");

    server.responder = () => ({ status: 400, body: { error: "invalid_grant", error_description: "Invalid JWT Signature." } });
    const refused = createEmbeddingModel(
      "vertex_ai/text-embedding-005",
      { api_base: server.baseUrl, vertex_credentials: JSON.stringify(serviceAccount) },
      { env: {}, googleAuthClientOptions: { transporter: loopbackTransporter() } },
    );
    const authError = await refused.embed(["x"]).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(VsError.isInstance(authError) && authError.status).toBe(502);
    expect(String((authError as Error).message)).toContain("vertex_ai embedding credentials could not be obtained");
    expect(String((authError as Error).message)).not.toContain("PRIVATE KEY");
  });

  it("needs a project: from the config, VERTEXAI_PROJECT or the credentials", () => {
    expect(() => createEmbeddingModel("vertex_ai/text-embedding-005", {}, { env: {} })).toThrow(/vertex_project/);
    expect(createEmbeddingModel("vertex_ai/text-embedding-005", {}, { env: { VERTEXAI_PROJECT: "p" } }).identity).toContain("|p|us-central1|");
  });
});
