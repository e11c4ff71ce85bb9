// For the workspace's own tools (the bench), not a public API: it may change in any release.
export { DEMO_COLLECTION, DEMO_QUERY, DEMO_STORE_NAME, demoCorpusPath, loadDemoCollection } from "./embedded.js";
