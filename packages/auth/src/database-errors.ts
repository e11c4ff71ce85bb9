import { type NotFoundError, ServiceUnavailableError, VsError } from "@vs/core";
import { Prisma } from "./generated/prisma/client.js";

/**
 * A database that cannot answer must never look like "no such key": every failure that is not a known, meaningful
 * answer becomes a 503 so the proxy fails closed. The message never carries the URL (it may hold a password); the
 * driver's error stays in `cause` for logs.
 */
export function databaseUnavailable(error: unknown, message = "The database is unavailable."): ServiceUnavailableError {
  return new ServiceUnavailableError(message, { code: "database_unavailable", cause: error });
}

/** How one operation turns a unique violation or a missing row into a client error. */
export interface ErrorMeaning {
  /** Given the names the violated constraint mentions (column or index names), the error to answer with. */
  uniqueViolation?: (constraint: string) => VsError;
  notFound?: () => NotFoundError;
}

/** The column or index names a unique violation reports; the PostgreSQL and PGlite adapters report different ones. */
function violatedConstraint(error: Prisma.PrismaClientKnownRequestError): string {
  const meta = error.meta as { target?: unknown; driverAdapterError?: { cause?: { constraint?: { fields?: unknown; index?: unknown } } } } | undefined;
  const constraint = meta?.driverAdapterError?.cause?.constraint;
  return [meta?.target, constraint?.fields, constraint?.index]
    .flat()
    .filter((part) => typeof part === "string")
    .join(" ");
}

export function toStoreError(error: unknown, meaning: ErrorMeaning = {}): Error {
  if (VsError.isInstance(error)) return error;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === "P2002" && meaning.uniqueViolation) return meaning.uniqueViolation(violatedConstraint(error));
    if (error.code === "P2025" && meaning.notFound) return meaning.notFound();
  }
  // A query Prisma refuses to build is a bug in this package, not an outage.
  if (error instanceof Prisma.PrismaClientValidationError) return error;
  return databaseUnavailable(error);
}

/** Runs one database operation and maps its failure; see `toStoreError`. */
export async function guarded<T>(operation: () => Promise<T>, meaning?: ErrorMeaning): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toStoreError(error, meaning);
  }
}
