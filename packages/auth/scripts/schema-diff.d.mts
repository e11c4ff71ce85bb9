export declare const schemaPath: string;
export declare const migrationsDirectory: string;
/** The SQL that would bring the migrations up to the schema; empty when they match. Defaults: this package's own. */
export declare function diffMigrationsAgainstSchema(sources?: { schema?: string; migrations?: string }): Promise<{ sql: string; isEmpty: boolean }>;
