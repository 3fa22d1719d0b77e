// The one tokenizer of kbgen's search, browser side: it must return exactly what
// kbgen/search/tokenizer.py returns (the index is built in Python, queried here).
// CJK runs become overlapping bigrams (a lone character stays a unigram); other letter/digit
// runs are words, stop words dropped, Porter-stemmed. See the Python twin for the reasoning.
import { stem } from './stemmer.js';

// Must equal STOP_WORDS in kbgen/search/tokenizer.py (a test compares them).
export const STOP_WORDS = new Set(
  `a an and are as at be but by for from has have if in into is it its of on or so
  such than that the their then there these they this to was were will with`.split(/\s+/),
);

const CJK_RANGES = [
  [0x3005, 0x3007], [0x303b, 0x303b], [0x3041, 0x3096], [0x3099, 0x309f],
  [0x30a1, 0x30fa], [0x30fc, 0x30ff], [0x31f0, 0x31ff], [0x3400, 0x4dbf],
  [0x4e00, 0x9fff], [0xf900, 0xfaff], [0x20000, 0x3134f],
];

export function isCjk(char) {
  const code = char.codePointAt(0);
  for (const [low, high] of CJK_RANGES) {
    if (code < low) return false;
    if (code <= high) return true;
  }
  return false;
}

const WORD_CHAR = /^[\p{L}\p{N}\p{M}]$/u;
const APOSTROPHES = new Set(["'", '\u2019']);

function isWordChar(char) {
  return WORD_CHAR.test(char);
}

const stemCache = new Map();
export function cachedStem(word) {
  let stemmed = stemCache.get(word);
  if (stemmed === undefined) {
    stemmed = stem(word);
    if (stemCache.size > 20000) stemCache.clear();
    stemCache.set(word, stemmed);
  }
  return stemmed;
}

// [{text, cjk, closed}]: closed = followed by a separator (the word is finished).
export function runs(text) {
  const chars = Array.from((text || '').normalize('NFKC').toLowerCase());
  const found = [];
  let current = [];
  let currentCjk = false;
  const flush = (closed) => {
    if (current.length) found.push({ text: current.join(''), cjk: currentCjk, closed });
    current = [];
  };
  chars.forEach((char, position) => {
    if (isCjk(char)) {
      if (current.length && !currentCjk) flush(true);
      currentCjk = true;
      current.push(char);
    } else if (isWordChar(char)) {
      if (current.length && currentCjk) flush(true);
      currentCjk = false;
      current.push(char);
    } else if (
      APOSTROPHES.has(char) && current.length && !currentCjk && position + 1 < chars.length
      && isWordChar(chars[position + 1]) && !isCjk(chars[position + 1])
    ) {
      // don't -> dont
    } else {
      flush(true);
    }
  });
  flush(false);
  return found;
}

function bigrams(run) {
  const chars = Array.from(run);
  if (chars.length === 1) return chars;
  const grams = [];
  for (let i = 0; i + 1 < chars.length; i += 1) grams.push(chars[i] + chars[i + 1]);
  return grams;
}

export function indexTerms(text) {
  const terms = [];
  for (const run of runs(text)) {
    if (run.cjk) terms.push(...bigrams(run.text));
    else if (!STOP_WORDS.has(run.text)) terms.push(cachedStem(run.text));
  }
  return terms;
}

function commonPrefix(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  let size = 0;
  while (size < x.length && size < y.length && x[size] === y[size]) size += 1;
  return x.slice(0, size).join('');
}

// [{term, prefix}] clauses, all required. The unfinished last word is a prefix (of the common
// prefix of word and stem); a lone CJK character is a prefix of its bigrams.
export function queryTerms(text) {
  const all = runs(text);
  const clauses = [];
  all.forEach((run, position) => {
    if (run.cjk) {
      if (Array.from(run.text).length === 1) clauses.push({ term: run.text, prefix: true });
      else for (const gram of bigrams(run.text)) clauses.push({ term: gram, prefix: false });
      return;
    }
    if (position === all.length - 1 && !run.closed) {
      const prefix = commonPrefix(run.text, cachedStem(run.text));
      if (prefix) clauses.push({ term: prefix, prefix: true }); // empty would match everything
    } else if (!STOP_WORDS.has(run.text)) {
      clauses.push({ term: cachedStem(run.text), prefix: false });
    }
  });
  return clauses;
}

// Words of the query as the reader typed them (normalized), for highlighting matches.
export function highlightWords(text) {
  return runs(text).map((run) => run.text);
}
