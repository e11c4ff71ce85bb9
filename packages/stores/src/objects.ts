import type { AttributeValue } from "@vs/core";
import type { VectorStoreFileStatus } from "./schemas.js";

/** The wire objects of OpenAI's Files and Vector Stores API, as the official clients type them. */

export interface FileObject {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: "processed";
  expires_at: null;
  status_details: null;
}

export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

export interface ExpiresAfter {
  anchor: "last_active_at";
  days: number;
}

export interface VectorStoreObject {
  id: string;
  object: "vector_store";
  created_at: number;
  name: string | null;
  description: string | null;
  usage_bytes: number;
  file_counts: FileCounts;
  status: "expired" | "in_progress" | "completed";
  expires_after: ExpiresAfter | null;
  expires_at: number | null;
  last_active_at: number | null;
  metadata: Record<string, string>;
}

export interface StaticChunkingStrategy {
  type: "static";
  static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number };
}

export interface FileError {
  code: "server_error" | "unsupported_file" | "invalid_file";
  message: string;
}

export interface VectorStoreFileObject {
  /** The file's id: the Python client polls the id it sent, the Node client the one it got back. */
  id: string;
  object: "vector_store.file";
  created_at: number;
  usage_bytes: number;
  vector_store_id: string;
  status: VectorStoreFileStatus;
  last_error: FileError | null;
  attributes: Record<string, AttributeValue>;
  chunking_strategy: StaticChunkingStrategy;
}

export interface FileBatchObject {
  id: string;
  object: "vector_store.files_batch";
  created_at: number;
  vector_store_id: string;
  status: "in_progress" | "completed" | "cancelled" | "failed";
  file_counts: FileCounts;
}

export interface ListPage<T> {
  object: "list";
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface DeletedObject<Kind extends string> {
  id: string;
  object: Kind;
  deleted: true;
}

export interface FileContentPage {
  object: "vector_store.file_content.page";
  data: Array<{ type: "text"; text: string }>;
  has_more: false;
  next_page: null;
}

/** Unix seconds, as OpenAI's objects carry times. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function emptyCounts(): FileCounts {
  return { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
}
