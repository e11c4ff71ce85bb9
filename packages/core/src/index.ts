export * from "./errors.js";
export * from "./validation.js";
export * from "./search.js";
export * from "./config.js";
export * from "./specs.js";
export * from "./abort.js";
