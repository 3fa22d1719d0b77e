// The one tokenizer of kbgen's search, browser side: it must return exactly what
// kbgen/search/tokenizer.py returns (the index is built in Python, queried here).
// CJK runs become overlapping bigrams plus the run's last character; other letter/digit runs are
// words, stop words dropped, Porter-stemmed. A query is a list of optional, scored units.
// See the Python twin for the reasoning.
import { stem } from './stemmer.js';

// Must equal STOP_WORDS in kbgen/search/tokenizer.py (a test compares them).
export const STOP_WORDS = new Set(
  `a an and are as at be but by for from has have if in into is it its of on or so
  such than that the their then there these they this to was were will with
  i me my mine myself we our ours us you your yours he him his she her hers them
  am been being do does did doing done can cannot cant could should would shall may might must
  how what when where which who whom whose why
  all any both each few more most other some no nor not only own same too very just also
  please about again once here those dont doesnt didnt isnt arent wasnt werent wont im ive mean`.split(/\s+/),
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

const hex = (code) => `\\u{${code.toString(16)}}`;
const CJK = CJK_RANGES.map(([low, high]) => (low === high ? hex(low) : `${hex(low)}-${hex(high)}`)).join('');
const WORD = `(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}])`;
// A word may hold an apostrophe between two of its letters ("don't" is one word).
const RUN = new RegExp(`([${CJK}]+)|(${WORD}+(?:['\u2019]${WORD}+)*)`, 'gu');
const APOSTROPHE = /['\u2019]/g;
// Code identifiers (tickets:read, Retry-After, ORBIT_API_KEY): word runs joined by exactly one
// of these characters are also indexed whole.
const JOINERS = new Set(Array.from('-_:./@'));
const COMPOUND_MAX_LENGTH = 48;

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

export function normalize(text) {
  return (text || '').normalize('NFKC').toLowerCase();
}

// Normalized text and its runs as {start, end, text, cjk} (UTF-16 offsets).
function scan(text) {
  const normalized = normalize(text);
  const found = [];
  for (const match of normalized.matchAll(RUN)) {
    const end = match.index + match[0].length;
    if (match[1] !== undefined) found.push({ start: match.index, end, text: match[1], cjk: true });
    else found.push({ start: match.index, end, text: match[2].replace(APOSTROPHE, ''), cjk: false });
  }
  return { normalized, found };
}

// [{text, cjk, closed}]: closed = followed by a separator (the word is finished).
export function runs(text) {
  const { normalized, found } = scan(text);
  return found.map(({ end, text: run, cjk }) => ({ text: run, cjk, closed: end < normalized.length }));
}

function chains(normalized, found) {
  const result = [];
  let chain = [];
  let previousEnd = -2;
  for (const run of [...found, { start: -1, end: -1, text: '', cjk: true }]) {
    if (!run.cjk && run.start === previousEnd + 1 && JOINERS.has(normalized[previousEnd]) && chain.length) {
      chain.push(normalized[previousEnd], run.text);
    } else {
      if (chain.length > 1) {
        const joined = chain.join('');
        if (Array.from(joined).length <= COMPOUND_MAX_LENGTH) result.push([joined, previousEnd < normalized.length]);
      }
      chain = run.cjk ? [] : [run.text];
    }
    previousEnd = run.end;
  }
  return result;
}

// [[identifier, closed]] for every chain of two or more word runs joined by one joiner.
export function compounds(text) {
  const { normalized, found } = scan(text);
  return chains(normalized, found);
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
  const { normalized, found } = scan(text);
  for (const run of found) {
    if (run.cjk) {
      const chars = Array.from(run.text);
      terms.push(...bigrams(run.text));
      if (chars.length > 1) terms.push(chars[chars.length - 1]);
    } else if (!STOP_WORDS.has(run.text)) terms.push(cachedStem(run.text));
  }
  for (const [compound] of chains(normalized, found)) terms.push(compound);
  return terms;
}

function commonPrefix(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  let size = 0;
  while (size < x.length && size < y.length && x[size] === y[size]) size += 1;
  return x.slice(0, size).join('');
}

const PARTICLES = new Set(Array.from('をがはにでとのもへや'));
const isHiragana = (char) => char >= '\u3041' && char <= '\u309f';

// Japanese query noise (inflection, particles) left out; see tokenizer.py.
export function keptBigrams(run) {
  const grams = bigrams(run);
  return keptBigramStarts(run).map((i) => grams[i]);
}

// Where in `run` (character positions) the bigrams keptBigrams keeps start.
export function keptBigramStarts(run) {
  const grams = bigrams(run);
  const all = grams.map((_, i) => i);
  const chars = Array.from(run);
  const hira = chars.map(isHiragana);
  if (hira.every(Boolean)) return all;
  const kept = all.filter((i) => {
    const gram = grams[i];
    const [x, y] = Array.from(gram);
    const a = hira[i];
    const b = hira[i + 1];
    if (a && b) return false;
    if ((PARTICLES.has(x) && !b) || (PARTICLES.has(y) && !a)) return false;
    if (!a && b && i > 0 && !hira[i - 1]) return false;
    if (a && !b && i + 2 < chars.length && !hira[i + 2]) return false;
    return true;
  });
  return kept.length ? kept : all;
}

export const PREFIX_CREDIT = 0.75;
export const PREFIX_BOOST = 0.5;
export const TYPO_CREDIT = 0.75;
export const TYPO_BOOST = 0.3;
const TYPO_MIN_LENGTH = 4;

// [{forms: [{terms, prefix, credit, boost}], weak, typo, word}]: see query_units in tokenizer.py.
// How Japanese questions are asked, not what about: cut out of a query's CJK runs.
const JA_QUESTION = /を教えてください|教えてください|を教えて|の方法|のやり方|やり方|を知りたい|について|とは/;

export function queryUnits(text) {
  const all = [];
  for (const run of runs(text)) {
    const pieces = run.cjk ? run.text.split(JA_QUESTION).filter(Boolean) : [];
    if (pieces.length > 1 || (pieces.length && pieces[0] !== run.text)) {
      pieces.forEach((piece, i) => all.push({ text: piece, cjk: true, closed: i < pieces.length - 1 ? true : run.closed }));
    } else {
      all.push(run);
    }
  }
  const units = [];
  all.forEach((run, position) => {
    if (run.cjk) {
      if (Array.from(run.text).length === 1) {
        units.push({ forms: [{ terms: [], prefix: run.text, credit: 1, boost: 1 }], weak: false, typo: null, word: run.text, identifier: false });
      } else {
        const hasKana = Array.from(run.text).some((char) => char >= '\u3041' && char <= '\u30ff');
        units.push({ forms: [{ terms: keptBigrams(run.text), prefix: null, credit: 1, boost: 1 }], weak: false, typo: hasKana ? 'kana' : null, word: run.text, identifier: false });
      }
      return;
    }
    const isOpenLast = position === all.length - 1 && !run.closed;
    const stop = STOP_WORDS.has(run.text);
    const stemmed = cachedStem(run.text);
    const forms = [];
    if (!stop) forms.push({ terms: [stemmed], prefix: null, credit: 1, boost: 1 });
    if (isOpenLast) {
      const prefix = commonPrefix(run.text, stemmed);
      if (prefix) forms.push({ terms: [], prefix, credit: PREFIX_CREDIT, boost: PREFIX_BOOST });
    }
    if (!forms.length) return;
    units.push({ forms, weak: stop, word: stemmed, identifier: false, typo: Array.from(run.text).length >= TYPO_MIN_LENGTH && !stop ? 'word' : null });
  });
  for (const [compound, closed] of compounds(text)) {
    const forms = [{ terms: [compound], prefix: null, credit: 1, boost: 1 }];
    if (!closed) forms.push({ terms: [], prefix: compound, credit: PREFIX_CREDIT, boost: PREFIX_BOOST });
    units.push({ forms, weak: false, typo: null, word: compound, identifier: true });
  }
  if (units.length && units.every((unit) => unit.weak)) for (const unit of units) unit.weak = false;
  return units;
}

// The runs of a text that are not stop words (how, do, I…): what a question is searched for.
export function contentRuns(text) {
  return runs(text).filter((run) => run.cjk || !STOP_WORDS.has(run.text));
}

// See title_key in tokenizer.py: "Resetting your password" and "reset password" share it.
export function titleKey(text) {
  return contentRuns(text).map((run) => (run.cjk ? run.text : cachedStem(run.text))).join(' ');
}

// [{term, prefix}] of every form of every unit, in order.
export function queryTerms(text) {
  const found = [];
  for (const unit of queryUnits(text)) {
    for (const form of unit.forms) {
      for (const term of form.terms) found.push({ term, prefix: false });
      if (form.prefix) found.push({ term: form.prefix, prefix: true });
    }
  }
  return found;
}

// Words of the query as the reader typed them (normalized), for highlighting matches.
export function highlightWords(text) {
  return runs(text).map((run) => run.text);
}
