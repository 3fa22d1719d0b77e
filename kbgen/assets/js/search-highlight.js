// Which parts of a title or summary to <mark> for a query, and which part of a long summary
// to show. Shared by the portal's search UI and the embeddable widget.
import { runs, cachedStem, contentRuns, keptBigramStarts } from './tokenizer.js';

const SNIPPET_LENGTH = 160;

// The parts of a CJK run that were searched for: its searched bigrams, chained where they
// overlap (パスワード and 再設定 of パスワードの再設定, not the particle between them, and not the
// whole run, which a title rarely holds as typed).
function cjkPatterns(text) {
  const chars = Array.from(text);
  if (chars.length < 2) return [{ text, wordStart: false }];
  const parts = [];
  let first = null;
  let last = null;
  for (const start of [...keptBigramStarts(text), Infinity]) {
    if (first !== null && start !== last + 1) parts.push(chars.slice(first, last + 2).join(''));
    if (first === null || start !== last + 1) first = start;
    last = start;
  }
  return parts.map((part) => ({ text: part, wordStart: false }));
}

// What to highlight: the searched parts of CJK runs anywhere, words at a word start (as far as
// word and stem agree).
// The words of a question (how, do, I…) are not searched for when there are others (queryUnits),
// so they are not marked either: "how do I export" must not mark the "I" of "Import".
// `corrections`: the spellings a search tried for misspelt words (results.corrections: index
// terms, so an English one is a stem and marks the words it starts), marked like what was typed.
export function highlightPatterns(query, corrections = []) {
  const searched = contentRuns(query);
  const typed = (searched.length ? searched : runs(query)).flatMap((run) => {
    if (run.cjk) return cjkPatterns(run.text);
    const stemmed = cachedStem(run.text);
    let size = 0;
    while (size < run.text.length && run.text[size] === stemmed[size]) size += 1;
    return { text: run.text.slice(0, Math.max(size, 1)), wordStart: true };
  });
  const corrected = corrections.flatMap((spelling) => runs(spelling))
    .flatMap((run) => (run.cjk ? cjkPatterns(run.text) : [{ text: run.text, wordStart: true }]));
  return [...typed, ...corrected].filter((p) => p.text);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// One expression per query's patterns: a popup highlights sixteen texts with the same ones.
const compiled = new WeakMap();

function patternExpression(patterns) {
  if (!compiled.has(patterns)) {
    const source = [...patterns]
      .sort((a, b) => b.text.length - a.text.length)
      .map((p) => (p.wordStart ? `(?<![\\p{L}\\p{N}])${escapeRegExp(p.text)}` : escapeRegExp(p.text)))
      .join('|');
    compiled.set(patterns, new RegExp(source, 'giu'));
  }
  return compiled.get(patterns);
}

export function matchRanges(text, patterns) {
  if (!patterns.length || !text) return [];
  const pattern = patternExpression(patterns);
  const ranges = [];
  for (const match of text.normalize('NFKC').matchAll(pattern)) {
    if (match[0]) ranges.push([match.index, match.index + match[0].length]);
  }
  return ranges;
}

// Matching is done on NFKC text, as the index was built, but readers see the text as written
// (a Japanese title keeps its full-width "："). Each chunk (a character with its combining marks,
// including half-width kana voicing marks) normalizes on its own as it does within the whole text,
// so every normalized offset maps back to the chunk it came from.
const CHUNK = /[^\p{M}\uFF9E\uFF9F][\p{M}\uFF9E\uFF9F]*|[\p{M}\uFF9E\uFF9F]+/gsu;

function rangesAsWritten(text, patterns) {
  // Most titles and summaries are already in NFKC (plain ASCII, most Japanese): offsets then
  // are the same in both.
  if (text.normalize('NFKC') === text) return matchRanges(text, patterns);
  let normalized = '';
  const starts = [];
  const ends = [];
  let offset = 0;
  for (const [chunk] of text.matchAll(CHUNK)) {
    const part = chunk.normalize('NFKC');
    for (let i = 0; i < part.length; i += 1) {
      starts.push(offset);
      ends.push(offset + chunk.length);
    }
    normalized += part;
    offset += chunk.length;
  }
  return matchRanges(normalized, patterns).map(([start, end]) => [starts[start], ends[end - 1]]);
}

export function snippetOf(summary, patterns) {
  const text = summary || '';
  if (text.length <= SNIPPET_LENGTH) return text;
  const first = rangesAsWritten(text, patterns)[0];
  const start = first && first[0] > SNIPPET_LENGTH - 40 ? Math.max(0, first[0] - 40) : 0;
  return `${start > 0 ? '…' : ''}${text.slice(start, start + SNIPPET_LENGTH)}…`;
}

// A lone Latin letter matches thousands of words: wait for the second one.
export function worthSearching(units) {
  if (!units.length) return false;
  if (units.length > 1) return true;
  const word = units[0].word || '';
  return !(Array.from(word).length < 2 && /^[\p{Script=Latin}\p{N}]$/u.test(word));
}

// Text with <mark>s, built as DOM nodes (never innerHTML: titles and summaries are data).
export function highlighted(text, patterns) {
  const fragment = document.createDocumentFragment();
  let position = 0;
  for (const [start, end] of rangesAsWritten(text, patterns)) {
    if (start < position) continue;
    fragment.append(text.slice(position, start));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(start, end);
    fragment.append(mark);
    position = end;
  }
  fragment.append(text.slice(position));
  return fragment;
}
