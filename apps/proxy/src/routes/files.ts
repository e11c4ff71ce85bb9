import { Hono, type Context } from "hono";
import { BadRequestError, PayloadTooLargeError } from "@vs/core";
import type { Actor, VectorStoreService } from "@vs/stores";
import { readBody } from "../http/body.js";
import type { Caller, Env } from "../http/context.js";

/** Room for the multipart envelope (boundaries, part headers, `purpose`) around the file itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export function actorOf(caller: Caller): Actor {
  return caller.kind === "master" ? { keyHash: null, alias: "master" } : { keyHash: caller.token, alias: caller.alias };
}

/** The query string as one object (lists: `after`, `before`, `limit`, `order`, `purpose`, `filter`). */
export function queryOf(c: Context<Env>): Record<string, string> {
  return c.req.query();
}

/**
 * OpenAI's Files API: `POST /v1/files` (multipart `file` + `purpose`), list, retrieve, delete, content. A key sees
 * the files it uploaded; the master key sees all.
 */
export function fileRoutes(options: { service: VectorStoreService; maxFileBytes: number }): Hono<Env> {
  const { service, maxFileBytes } = options;
  const app = new Hono<Env>();

  for (const prefix of ["/v1", ""]) {
    app.post(`${prefix}/files`, async (c) => {
      const contentType = c.req.header("content-type") ?? "";
      if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
        throw new BadRequestError("POST /v1/files takes multipart/form-data with a `file` part and a `purpose` field.", {
          param: "file",
          code: "invalid_content_type",
        });
      }
      const body = await readBody(c, maxFileBytes + MULTIPART_OVERHEAD_BYTES);
      let form: FormData;
      try {
        form = await new Request("http://upload.invalid/", { method: "POST", headers: { "content-type": contentType }, body }).formData();
      } catch (error) {
        throw new BadRequestError(`The multipart body could not be read: ${(error as Error).message}`, { param: "file", code: "invalid_multipart" });
      }
      const file = form.get("file");
      const purpose = form.get("purpose");
      if (!(file instanceof File)) throw new BadRequestError("file: required (a multipart file part).", { param: "file", code: "missing_required_parameter" });
      if (typeof purpose !== "string")
        throw new BadRequestError('purpose: required (e.g. "assistants").', { param: "purpose", code: "missing_required_parameter" });
      if (file.size > maxFileBytes) throw new PayloadTooLargeError(maxFileBytes);
      const created = await service.createFile(
        { bytes: new Uint8Array(await file.arrayBuffer()), filename: file.name, contentType: file.type, purpose },
        actorOf(c.get("caller")),
      );
      return c.json(created);
    });
    app.get(`${prefix}/files`, async (c) => c.json(await service.listFiles(queryOf(c), actorOf(c.get("caller")))));
    app.get(`${prefix}/files/:file_id`, async (c) => c.json(await service.getFile(c.req.param("file_id"), actorOf(c.get("caller")))));
    app.delete(`${prefix}/files/:file_id`, async (c) => c.json(await service.deleteFile(c.req.param("file_id"), actorOf(c.get("caller")))));
    app.get(`${prefix}/files/:file_id/content`, async (c) => {
      const content = await service.fileContent(c.req.param("file_id"), actorOf(c.get("caller")));
      return c.body(Buffer.from(content.bytes), 200, {
        "content-type": content.contentType,
        "content-disposition": `attachment; filename*=UTF-8''${encodeURIComponent(content.filename)}`,
      });
    });
  }
  return app;
}
