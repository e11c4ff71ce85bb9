export { createApp } from "./app.js";
export type { AppOptions, CompletedRequest, RequestSink } from "./app.js";
export { startProxy } from "./server.js";
export type { ProxyOptions, RunningProxy } from "./server.js";
export { loadConfigFile, parseConfigDocument, parseConfigText, readConfigFile } from "./config-file.js";
