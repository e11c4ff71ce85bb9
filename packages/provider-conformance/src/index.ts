export { describeProviderConformance, FILTER_CASES, type ConformanceOptions, type ProviderUnderTest } from "./suite.js";
export { generateCorpus, randomUnitVector, seededRandom, CORPUS_CATEGORIES, CORPUS_COLORS, type CorpusRow, type CorpusOptions } from "./corpus.js";
export { bruteForceSearch, matchesFilter, expectedScore, cosineSimilarity, dot, minimumGap, type BruteForceQuery, type ExpectedHit } from "./brute-force.js";
