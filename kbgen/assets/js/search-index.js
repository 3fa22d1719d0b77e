// Query runtime for kbgen's prebuilt search data. Its score is lunr's (lunr.py Index.query with
// optional clauses): a prefix clause expands to every indexed term with that prefix, the query
// vector holds how often each expanded term was asked for, and a document's score is the sum over
// its fields of dot(query, field vector) / |query|. Tier and coverage rank before it (see rank()).
// Data comes either from lunr's own serialized JSON (tests compare us with lunr.py on it) or
// from kbgen's sharded files (kbgen/search/indexer.py), fetched on the page's own origin and
// loaded as <script>s elsewhere, so the same code works from file:// and from another origin
// (the widget; see dataLoader).

import { keptBigrams, keptBigramStarts, queryUnits, titleKey, TYPO_BOOST, TYPO_CREDIT } from './tokenizer.js';
import { stem } from './stemmer.js';

export const DATA_CALLBACK = '__kbSearchData';
// Never scored: the first term of each title, to know which titles start with the query.
const LEAD_FIELD = 'lead';
// A unit that fully matches fewer documents than this is also looked up with typo variants.
const TYPO_MIN_DOCS = 3;
const TYPO_VARIANTS = 3;
// Titles compared with the query (as many as the popup shows).
const TITLE_CHECKS = 8;
// Kana spellings whose postings are loaded (the likeliest by the word lists).
const KANA_VARIANTS = 2;
// At most this many kana spellings are looked up per query (each may load a shard).
const KANA_VARIANT_CHECKS = 8;
// Record files loading in the background at once (of a browser's six connections to a host).
const RECORD_LOADS_AT_ONCE = 3;
// At most this many record files load with a keystroke's shards (see leadChunks).
const LEAD_CHUNKS = 8;

// Optimal string alignment distance exactly 1 (lengths differ by at most one).
export function oneEdit(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length === y.length) {
    const diff = [];
    for (let i = 0; i < x.length; i += 1) if (x[i] !== y[i]) diff.push(i);
    if (diff.length === 1) return true;
    return diff.length === 2 && diff[1] === diff[0] + 1 && x[diff[0]] === y[diff[1]] && x[diff[1]] === y[diff[0]];
  }
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  if (long.length - short.length !== 1) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i += 1;
  for (let j = i; j < short.length; j += 1) if (short[j] !== long[j + 1]) return false;
  return true;
}

const LATIN_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

// The stems of the spellings one edit from a Latin `word` (the stem a query holds). A misspelt
// ending keeps the stemmer from taking it off: "federaton" stays whole, one edit from
// "federation", whose stem "feder" is what the index holds, and four edits from it.
export function stemsOneEditAway(word) {
  const stems = new Set();
  if (!/^[a-z]+$/.test(word)) return stems;
  const add = (spelling) => stems.add(stem(spelling));
  for (let i = 0; i <= word.length; i += 1) {
    const head = word.slice(0, i);
    const tail = word.slice(i);
    for (const letter of LATIN_LETTERS) {
      add(head + letter + tail);
      if (tail && letter !== tail[0]) add(head + letter + tail.slice(1));
    }
    if (tail) add(head + tail.slice(1));
    if (tail.length > 1) add(head + tail[1] + tail[0] + tail.slice(2));
  }
  stems.delete(word);
  return stems;
}

// Small and large kana (ァ/ア …, っ/つ …) in pairs.
const SMALL_KANA = 'ぁあぃいぅうぇえぉおっつゃやゅゆょよゎわァアィイゥウェエォオッツャヤュユョヨヮワヵカヶケ';
const KANA_PAIR = new Map();
for (let i = 0; i < SMALL_KANA.length; i += 2) {
  KANA_PAIR.set(SMALL_KANA[i], SMALL_KANA[i + 1]);
  KANA_PAIR.set(SMALL_KANA[i + 1], SMALL_KANA[i]);
}

// One-character spelling variants of a kana run: voiced/semi-voiced/plain, small/large,
// a long vowel mark dropped or added after a katakana.
export function kanaSpellings(run, positions = null) {
  const chars = Array.from(run);
  const variants = [];
  chars.forEach((char, i) => {
    if (positions && !positions.has(i)) return;
    const swap = (other) => variants.push([...chars.slice(0, i), other, ...chars.slice(i + 1)].join(''));
    const base = char.normalize('NFD')[0];
    for (const mark of ['', '\u3099', '\u309a']) {
      const other = (base + mark).normalize('NFC');
      if (other !== char && Array.from(other).length === 1) swap(other);
    }
    if (KANA_PAIR.has(char)) swap(KANA_PAIR.get(char));
    if (char === 'ー') variants.push([...chars.slice(0, i), ...chars.slice(i + 1)].join(''));
    else if (char >= '\u30a1' && char <= '\u30fa' && chars[i + 1] !== 'ー') {
      variants.push([...chars.slice(0, i + 1), 'ー', ...chars.slice(i + 1)].join(''));
    }
  });
  return variants.filter((variant) => variant.length >= 2);
}


// The browser asks to save data (a metered connection): nothing is loaded ahead of need.
export function savingData() {
  return Boolean(globalThis.navigator && navigator.connection && navigator.connection.saveData);
}

// One global callback shared by every copy of this code on a page (portal bundle, widgets):
// data scripts call it with their id, and whoever asked for that id gets the payload.
function callbackRegistry() {
  let callback = globalThis[DATA_CALLBACK];
  if (!callback || !callback.waiting) {
    const waiting = new Map();
    callback = (id, payload) => {
      const resolvers = waiting.get(id);
      if (!resolvers) return;
      waiting.delete(id);
      for (const resolve of resolvers) resolve(payload);
    };
    callback.waiting = waiting;
    globalThis[DATA_CALLBACK] = callback;
  }
  return callback;
}

function injectScript(url, id, background) {
  return new Promise((resolve, reject) => {
    const { waiting } = callbackRegistry();
    if (!waiting.has(id)) waiting.set(id, []);
    waiting.get(id).push(resolve);
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    // What a keystroke waits for goes ahead of what loads in the background, in the browser's
    // queue for a host's few connections.
    script.fetchPriority = background ? 'low' : 'high';
    script.onerror = () => {
      waiting.delete(id);
      script.remove();
      reject(new Error(`kbgen search: could not load ${url}`));
    };
    script.onload = () => {
      script.remove();
      if (waiting.has(id)) {
        waiting.delete(id);
        reject(new Error(`kbgen search: ${url} is not kbgen search data`));
      }
    };
    (document.head || document.documentElement).appendChild(script);
  });
}

// The payload of a data file's text (kbgen/search/indexer.py, data_script: the JSON inside a
// single-quoted string whose backslashes, quotes and U+2028/U+2029 are escaped), or null when the
// text is not the data file `id`.
export function dataPayload(text, id) {
  const head = `${DATA_CALLBACK}(${JSON.stringify(id)},JSON.parse('`;
  const tail = "'));\n";
  if (!text.startsWith(head) || !text.endsWith(tail)) return null;
  const literal = text.slice(head.length, -tail.length);
  if (!literal.includes('\\')) return JSON.parse(literal);
  return JSON.parse(literal.replace(/\\(u2028|u2029|[\s\S])/g, (_, escaped) => (
    escaped === 'u2028' ? '\u2028' : escaped === 'u2029' ? '\u2029' : escaped)));
}

function fetchData(url, id, background) {
  return fetch(url, { priority: background ? 'low' : 'high' }).then((response) => {
    if (!response.ok) throw new Error(`kbgen search: could not load ${url}`);
    return response.text();
  }).then((text) => {
    const payload = dataPayload(text, id);
    if (payload === null) throw new Error(`kbgen search: ${url} is not kbgen search data`);
    return payload;
  });
}

function sameOrigin(url) {
  try {
    const { protocol, origin } = new URL(url, document.baseURI);
    return /^https?:$/.test(protocol) && origin === globalThis.location.origin;
  } catch (error) {
    return false;
  }
}

// load(id, background) for data files under `rootUrl` (the output root, relative or absolute).
// From the page's own http(s) origin they are fetched and parsed; elsewhere (file://, the widget
// on another site, where a fetch would need CORS) each runs as a <script>. A script costs the
// page's main thread more (inserting the element and running it took 1-2 ms a file), and at
// 10,000 articles the display records loading in the background (145 files) slowed the
// keystrokes typed meanwhile: English p95 58.1 and 56.2 ms with scripts, 51.0 and 51.9 fetched
// (two runs, alternating pages; `export d` median 58 -> 51 and 56 -> 46 ms).
export function dataLoader(rootUrl) {
  const loaded = new Map();
  const fetched = sameOrigin(rootUrl);   // every file is under rootUrl, so on its origin
  return (id, background = false) => {
    if (!loaded.has(id)) {
      const url = rootUrl + id;
      const promise = fetched ? fetchData(url, id, background) : injectScript(url, id, background);
      promise.catch(() => loaded.delete(id));
      loaded.set(id, promise);
    }
    return loaded.get(id);
  };
}

// lunr's TokenSet.to_list order for the expansion of a prefix: edges are visited from the
// largest character down, a word comes before its extensions. Matching it keeps equal-score
// results in lunr's order.
function lunrExpansionOrder(a, b) {
  const x = Array.from(a);
  const y = Array.from(b);
  const shorter = Math.min(x.length, y.length);
  for (let i = 0; i < shorter; i += 1) {
    if (x[i] !== y[i]) return y[i].codePointAt(0) - x[i].codePointAt(0);
  }
  return x.length - y.length;
}

// A posting: [{field, docs: [ref…], values: [number…]}], fields in index order.
function decodePosting(flat, fields) {
  const posting = [];
  let i = 0;
  while (i < flat.length) {
    const field = fields[flat[i]];
    const count = flat[i + 1];
    i += 2;
    // Typed arrays: the postings of a common prefix hold tens of thousands of entries.
    const docs = new Int32Array(count);
    const values = new Float64Array(count);
    let doc = 0;
    for (let n = 0; n < count; n += 1) {
      doc += flat[i];
      docs[n] = doc;
      values[n] = flat[i + 1] / 1000;
      i += 2;
    }
    posting.push({ field, docs, values });
  }
  return posting;
}

function lowerBound(sorted, value, key = (x) => x) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (key(sorted[middle]) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

// In-memory source over lunr's serialized index (version 2.3.9).
class LunrJsonSource {
  constructor(serialized) {
    this.fields = serialized.fields;
    const vectorValues = new Map();
    for (const [fieldRef, elements] of serialized.fieldVectors) {
      const values = new Map();
      for (let i = 0; i < elements.length; i += 2) values.set(elements[i], elements[i + 1]);
      vectorValues.set(fieldRef, values);
    }
    this.postings = new Map();
    for (const [term, entry] of serialized.invertedIndex) {
      const posting = [];
      for (const field of this.fields) {
        const refs = Object.keys(entry[field] || {});
        if (!refs.length) continue;
        posting.push({
          field,
          docs: refs,
          values: refs.map((ref) => vectorValues.get(`${field}/${ref}`).get(entry._index)),
        });
      }
      this.postings.set(term, posting);
    }
    this.terms = [...this.postings.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    // Refs are document numbers ("0", "1", …), as kbgen's indexer gives them.
    this.docCount = 1 + Math.max(-1, ...serialized.fieldVectors.map(([fieldRef]) => Number(fieldRef.split('/')[1])));
  }

  async expand(term, prefix) {
    if (!prefix) return this.postings.has(term) ? [term] : [];
    const found = [];
    for (let i = lowerBound(this.terms, term); i < this.terms.length && this.terms[i].startsWith(term); i += 1) {
      found.push(this.terms[i]);
    }
    return found;
  }

  async posting(term) {
    return this.postings.get(term) || [];
  }
}

// Source over kbgen's sharded files: a manifest, term shards (sorted ranges), document chunks.
class ShardedSource {
  constructor(manifest, load, prefix) {
    this.manifest = manifest;
    this.docCount = manifest.docCount;
    this.fields = manifest.fields;
    this.load = load;
    this.prefix = prefix;
    this.shardFirstTerms = manifest.shards.map(([first]) => first);
    this.shardLastTerms = manifest.shards.map(([, , last]) => last);
    this.decoded = new Map();
    // A letter's most frequent terms, from a few shards (indexer.py, _initials): what a letter
    // typed alone, never shown, warms up with (SearchIndex.warmUp).
    this.initials = new Map(manifest.initials || []);
  }

  shardPosition(term) {
    // Last shard whose first term is <= term.
    let position = lowerBound(this.shardFirstTerms, term);
    if (position === this.shardFirstTerms.length || this.shardFirstTerms[position] !== term) position -= 1;
    return Math.max(position, 0);
  }

  // The shards that can hold `term` (or, for a prefix, the terms it starts): none, one, or a run.
  shardPositions(term, prefix, initials = false) {
    if (!this.shardFirstTerms.length) return [];
    if (prefix && initials && this.initials.has(term)) return [...new Set(this.initials.get(term).map((t) => this.shardPosition(t)))];
    const first = this.shardPosition(term);
    // Shards close where a word's first two letters change, so a prefix usually starts a shard,
    // and the one before it, whose terms all sort before it, has none of its terms.
    const positions = this.shardLastTerms[first] < term ? [] : [first];
    if (prefix) {
      for (let p = first + 1; p < this.shardFirstTerms.length && this.shardFirstTerms[p].startsWith(term); p += 1) {
        positions.push(p);
      }
    }
    return positions;
  }

  async shard(position) {
    return this.load(this.prefix + this.manifest.shards[position][1]);
  }

  async expand(term, prefix, initials = false) {
    // listed terms are indexed ones, and their postings load their shards
    if (prefix && initials && this.initials.has(term)) return [...this.initials.get(term)];
    const found = [];
    for (const position of this.shardPositions(term, prefix)) {
      const { terms } = await this.shard(position);
      for (let i = lowerBound(terms, term); i < terms.length; i += 1) {
        if (prefix ? !terms[i].startsWith(term) : terms[i] !== term) break;
        found.push(terms[i]);
      }
    }
    return found;
  }

  async posting(term) {
    if (this.decoded.has(term)) return this.decoded.get(term);
    const [position] = this.shardPositions(term, false);
    const data = position === undefined ? { terms: [] } : await this.shard(position);
    const i = lowerBound(data.terms, term);
    const posting = data.terms[i] === term ? decodePosting(data.postings[i], this.fields) : [];
    this.decoded.set(term, posting);
    return posting;
  }

  // Preloads every shard a query touches, in parallel.
  async prefetch(units) {
    const positions = new Set();
    for (const unit of units) {
      for (const form of unit.forms) {
        for (const term of form.terms) for (const p of this.shardPositions(term, false)) positions.add(p);
        if (form.prefix) for (const p of this.shardPositions(form.prefix, true, form.initials)) positions.add(p);
      }
    }
    await Promise.all([...positions].map((p) => this.shard(p)));
  }

  // [[bigram, documents]] of the kana bigrams starting with the first characters of `terms`.
  async kanaVocabulary(terms) {
    const keys = new Set(terms.map((term) => `k${Array.from(term)[0]}`));
    return this.vocabularyOf(keys);
  }

  // [[term, documents]] of the vocabulary groups that can hold a typo variant of `word`.
  async vocabulary(word) {
    const chars = Array.from(word);
    const keys = new Set([`1${chars[0]}`, `1${chars[1]}`, `2${chars[1]}`, `2${chars[0]}`]);
    return this.vocabularyOf(keys);
  }

  // The entries of the files holding the groups `keys` (a file holds one character's groups, so
  // it may hold other groups too: callers check every term they are given).
  async vocabularyOf(keys) {
    const files = new Set((this.manifest.vocab || []).filter(([key]) => keys.has(key)).map(([, file]) => file));
    const groups = await Promise.all([...files].map((file) => this.load(this.prefix + file)));
    return groups.flatMap((group) => group.vocab);
  }
}

export class SearchIndex {
  constructor(source) {
    this.source = source;
    this.fields = source.fields;
  }

  static fromLunr(serialized) {
    return new SearchIndex(new LunrJsonSource(serialized));
  }

  // prefix: folder of the data relative to the loader's root, e.g. "search/en/".
  static async open(load, prefix) {
    const manifest = await load(prefix + 'index.js');
    const index = new SearchIndex(new ShardedSource(manifest, load, prefix));
    index.manifest = manifest;
    return index;
  }

  // units: tokenizer.queryUnits(text). Returns [{ref, score, coverage, tier}], best first:
  // titles that start with the query (tier 1), then documents matching more of the query
  // (coverage, in quarter units), then lunr's score. `lastPlan` keeps the [term, boost] clauses
  // that were scored, so tests can score the same query with lunr.py.
  // options.worth(leading): for a search whose results may not be shown (another language's,
  // shown only when it matches more): called with the first TITLE_CHECKS results before their
  // titles are compared with the query; when it resolves false, the search ends with no results
  // and without loading the records that comparing titles needs (nor, ahead of its shards, those
  // of the titles its first word starts). Whatever the comparison promotes to first place comes
  // from `leading`.
  async search(units, options = {}) {
    if (!this.practice) realSearches += 1;
    this.searching = (this.searching || 0) + 1;
    try {
      return await this.rank(units, options);
    } finally {
      this.searching -= 1;
      if (!this.searching) for (const resume of (this.idleWaiters || []).splice(0)) resume();
    }
  }

  // Resolves when no search of this index is running (at once if none is).
  quiet() {
    if (!this.searching) return Promise.resolve();
    this.idleWaiters = this.idleWaiters || [];
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // A search for a letter typed alone, which the search box does not show: its prefix expands to
  // the letter's most frequent terms only (a few shards; every term of a common letter is most of
  // the index), so the shards and records the next keystroke likely needs, and the code that
  // ranks them, are warm when it comes. Expanding "export d" the same way lost the article being
  // typed (source article in the top five for "word + letter" queries on a real 1,500-article
  // KB: 90 % → 40 %), so shown queries expand to every term.
  warmUp(units) {
    return this.search(units.map((unit) => ({
      ...unit, forms: unit.forms.map((form) => (form.prefix ? { ...form, initials: true } : form)),
    })));
  }

  // The display records of every document, loaded in the background, a few files at a time and
  // only while no search is running, once the first results are on screen: from then on a
  // keystroke waits for its term shards alone, one round trip instead of two (shards, then the
  // records of what they ranked first). The portal's search box asks for it; the widget, a guest
  // on someone else's page, does not. Returns the same promise on every call. A few at a time,
  // at low priority: a browser opens six connections to a host over HTTP/1.1, and a keystroke
  // that needs five chunks (asked for at high priority) must not wait behind the background ones.
  prefetchRecords() {
    if (!this.recordsPrefetch) {
      const files = [...(this.manifest ? this.manifest.chunks : [])];
      const loadNext = async () => {
        while (files.length) {
          await this.quiet();
          const file = files.shift();
          if (file) await this.source.load(this.source.prefix + file, true).catch(() => null);   // a search asks again
        }
      };
      this.recordsPrefetch = Promise.all(Array.from({ length: RECORD_LOADS_AT_ONCE }, loadNext)).then(() => undefined);
    }
    return this.recordsPrefetch;
  }

  // The record files of the documents whose title starts with the query's first word: they rank
  // first (tier 1), and their records are then needed at once, to compare titles with the query
  // and to show them. Documents are numbered by that word (the manifest's chunkLeads: the word of
  // each file's first document), so the files are known before the shards arrive, and load with
  // them instead of a round trip after them. None when the word starts more titles than
  // LEAD_CHUNKS files hold (one letter, say): which of those rank first is not known yet. All of
  // them when there are no more than LEAD_CHUNKS (a knowledge base of up to 256 articles per
  // language): every result's record then comes with the shards.
  leadChunks(units) {
    const leads = this.manifest && this.manifest.chunkLeads;
    if (!leads || !units.length) return [];
    if (leads.length <= LEAD_CHUNKS) return leads.map((_, chunk) => chunk);
    const chunks = new Set();
    for (const form of units[0].forms) {
      // [low, high): a word's own lead (a Japanese run's first bigram), or every lead the
      // prefix starts
      const ranges = form.terms.slice(0, 1).map((term) => [term, `${term}\u0000`]);
      if (form.prefix && !form.initials) ranges.push([form.prefix, `${form.prefix}\uffff`]);
      for (const [low, high] of ranges) {
        // The file before the first one that starts at `low` may end with such titles.
        const start = Math.max(0, lowerBound(leads, low) - 1);
        const end = lowerBound(leads, high);
        if (end - start <= LEAD_CHUNKS) for (let chunk = start; chunk < end; chunk += 1) chunks.add(chunk);
      }
    }
    return [...chunks].sort((a, b) => a - b);
  }

  // Starts loading what ranking `units` needs: the term shards, and the record files of the
  // titles its first word starts (see leadChunks; not for a search whose results may not be
  // shown, see search, nor when saving data). Resolves when the shards are in. rank() calls it;
  // so does the search box as a keystroke lands, before its typing pause ends.
  preload(units, options = {}) {
    if (!units.length) return Promise.resolve();
    // The shards are asked for first: ranking waits for all of them, and a browser has six
    // connections to a host: records asked for ahead of them could hold them up in its queue.
    const shards = this.source.prefetch ? this.source.prefetch(units) : Promise.resolve();
    for (const chunk of options.worth || savingData() ? [] : this.leadChunks(units)) {
      this.source.load(this.source.prefix + this.manifest.chunks[chunk]).catch(() => null);   // documents() asks again
    }
    return shards;
  }

  async rank(units, options = {}) {
    this.lastPlan = [];
    this.lastForms = [];
    if (!units.length) return [];
    await this.preload(units, options);
    const postings = new Map();
    const postingOf = async (term) => {
      if (!postings.has(term)) postings.set(term, await this.source.posting(term));
      return postings.get(term);
    };
    // Per unit, its forms with their terms as found in the index.
    const plan = [];
    for (const unit of units) {
      const exact = new Set(unit.forms.flatMap((form) => form.terms));
      const forms = [];
      for (const form of unit.forms) {
        let terms = form.terms;
        if (form.prefix) {
          terms = (await this.source.expand(form.prefix, true, form.initials)).filter((term) => !exact.has(term));
          terms.sort(lunrExpansionOrder);
        }
        for (const term of terms) await postingOf(term);
        forms.push({ terms, any: Boolean(form.prefix), credit: form.credit, boost: form.boost, typo: false });
      }
      plan.push({ unit, forms });
    }

    // Typo variants, only for a unit that finds (almost) nothing as typed. Document sets are typed
    // arrays and marks indexed by document number: a common Japanese bigram is in most documents,
    // and building Sets of them was most of a keystroke's time.
    const count = this.source.docCount;
    const docLists = new Map();
    const scratch = new Uint8Array(count);
    // The documents whose scored fields hold `term`, each once.
    const docsOf = (term) => {
      if (!docLists.has(term)) {
        const found = [];
        for (const { field, docs } of postings.get(term) || []) {
          if (field === LEAD_FIELD) continue;
          for (let i = 0; i < docs.length; i += 1) {
            if (!scratch[docs[i]]) {
              scratch[docs[i]] = 1;
              found.push(docs[i]);
            }
          }
        }
        for (const ref of found) scratch[ref] = 0;
        docLists.set(term, Int32Array.from(found));
      }
      return docLists.get(term);
    };
    // How many documents are in every one of `lists`, and in how many lists each document is.
    const inAll = (lists) => {
      const hold = new Uint16Array(count);
      for (const list of lists) for (let i = 0; i < list.length; i += 1) hold[list[i]] += 1;
      let both = 0;
      if (lists.length) for (let i = 0; i < lists[0].length; i += 1) if (hold[lists[0][i]] === lists.length) both += 1;
      return { both, hold };
    };
    // Documents holding every term of a form (any one, for a prefix) are marked in `full`, counted
    // up to `limit` (a word only needs to know whether it is "few": most keystrokes stop after three).
    const fullMatches = (form, full, limit) => {
      if (!form.terms.length) return;
      const lists = form.terms.map((term) => docsOf(term));
      const hold = form.any || lists.length === 1 ? null : inAll(lists).hold;
      for (const list of form.any ? lists : lists.slice(0, 1)) {
        for (let i = 0; i < list.length; i += 1) {
          const ref = list[i];
          if (full.marks[ref] || (hold && hold[ref] !== lists.length)) continue;
          full.marks[ref] = 1;
          full.size += 1;
          if (full.size >= limit) return;
        }
      }
    };
    // The spellings of the typo variants searched for, to mark them in the results too.
    const corrections = [];
    for (const entry of plan) {
      if (!entry.unit.typo) continue;
      const full = { marks: new Uint8Array(count), size: 0 };
      const limit = entry.unit.typo === 'word' ? TYPO_MIN_DOCS : Infinity;
      for (const form of entry.forms) if (full.size < limit) fullMatches(form, full, limit);
      // Bigrams match anywhere in a document, so a misspelt katakana word can look found
      // (パスワート: パス スワ ワー in one word, ート in another): its variants are kept when they
      // are found in more documents than what was typed.
      if (entry.unit.typo === 'word' && full.size >= TYPO_MIN_DOCS) continue;
      const variants = entry.unit.typo === 'word'
        ? await this.wordVariants(entry.unit.word)
        : await this.kanaVariants(entry.unit.word, postingOf, docsOf, inAll, full.size);
      // What was typed is then no more certain than its variants.
      if (entry.unit.typo === 'kana' && variants.length) for (const form of entry.forms) form.credit = Math.min(form.credit, TYPO_CREDIT);
      for (const { terms, spelling } of variants) {
        for (const term of terms) await postingOf(term);
        entry.forms.push({ terms, any: false, credit: TYPO_CREDIT, boost: TYPO_BOOST, typo: true });
        corrections.push(spelling);
      }
    }

    this.lastForms = plan.map(({ unit, forms }) => ({
      weak: unit.weak, forms: forms.map(({ terms, any, credit, boost, typo }) => ({ terms, any, credit, boost, typo })),
    }));
    // lunr's query vector: every (form, term) is a clause with the form's boost.
    const weights = new Map();
    for (const { forms } of plan) {
      for (const form of forms) {
        for (const term of form.terms) {
          if (!(postings.get(term) || []).length) continue; // not in the index: lunr skips it too
          weights.set(term, (weights.get(term) || 0) + form.boost);
          this.lastPlan.push([term, form.boost]);
        }
      }
    }
    if (!weights.size) return [];
    let sumOfSquares = 0;
    for (const weight of weights.values()) sumOfSquares += weight * weight;
    const magnitude = Math.sqrt(sumOfSquares);

    // Typed arrays indexed by document number: a keystroke touches thousands of postings, and
    // per-document Maps and Sets made typing slow (mostly garbage collection).
    const score = new Float64Array(count);
    const touched = new Uint8Array(count);
    const hits = [];
    for (const [term, weight] of weights) {
      for (const { field, docs, values } of postings.get(term)) {
        if (field === LEAD_FIELD) continue;
        for (let i = 0; i < docs.length; i += 1) {
          const ref = docs[i];
          score[ref] += (weight * values[i]) / magnitude;
          if (!touched[ref]) {
            touched[ref] = 1;
            hits.push(ref);
          }
        }
      }
    }
    // Per form: in how many documents' scored fields (and titles) each of its terms is.
    const seen = new Int32Array(count).fill(-1);
    let stamp = 0;
    for (const { forms } of plan) {
      for (const form of forms) {
        form.found = new Uint16Array(count);
        form.titled = new Uint16Array(count);
        for (const term of form.terms) {
          for (const { field, docs } of postings.get(term) || []) {
            if (field === LEAD_FIELD) continue;
            const inTitle = field === 'title';
            for (let i = 0; i < docs.length; i += 1) {
              const ref = docs[i];
              if (seen[ref] !== stamp) {
                seen[ref] = stamp;
                form.found[ref] += 1;
              }
              if (inTitle) form.titled[ref] += 1;
            }
          }
          stamp += 1;
        }
      }
    }
    const leads = new Uint8Array(count);
    for (const form of plan[0].forms) {
      if (form.typo) continue;
      for (const term of form.terms) {
        for (const { field, docs } of postings.get(term) || []) if (field === LEAD_FIELD) for (const ref of docs) leads[ref] = 1;
      }
    }

    const share = (form, found) => {
      if (!form.terms.length) return 0;
      return form.any ? (found ? 1 : 0) : found / form.terms.length;
    };
    // Coverage, tier and rank per hit in typed arrays; result objects only for what is kept, and
    // the sort compares numbers (a keystroke of a common prefix ranks thousands of documents).
    const scored = plan.filter(({ unit }) => !unit.weak);
    const coverages = new Float64Array(hits.length);
    const tiers = new Uint8Array(hits.length);
    let best = -Infinity;
    for (let h = 0; h < hits.length; h += 1) {
      const ref = hits[h];
      let coverage = 0;
      let wholeTitle = true;
      for (const { forms } of scored) {
        let most = 0;
        let titled = false;
        for (const form of forms) {
          most = Math.max(most, form.credit * share(form, form.found[ref]));
          if (!form.typo && share(form, form.titled[ref]) === 1) titled = true;
        }
        coverage += most;
        wholeTitle = wholeTitle && titled;
      }
      coverages[h] = Math.round(coverage * 4) / 4;
      tiers[h] = wholeTitle && leads[ref] ? 1 : 0;
      if (coverages[h] > best) best = coverages[h];
    }
    // A document that matches less than half of what the best one matches is noise (one bigram
    // of a Japanese sentence, one common word of a long question).
    const enough = Math.max(best, Math.min(1, scored.length)) / 2;
    const ranks = new Float64Array(hits.length);
    const scores = new Float64Array(hits.length);
    const kept = [];
    for (let h = 0; h < hits.length; h += 1) {
      if (!(tiers[h] || coverages[h] >= enough)) continue;
      ranks[h] = tiers[h] * 1e6 + coverages[h] * 4;
      scores[h] = score[hits[h]];
      kept.push(h);
    }
    // Rank, then score, ties in hit order (what the stable sort of result objects gave).
    kept.sort((a, b) => ranks[b] - ranks[a] || scores[b] - scores[a] || a - b);
    const ranked = new Array(kept.length);
    for (let k = 0; k < kept.length; k += 1) {
      const h = kept[k];
      ranked[k] = { ref: hits[h], score: scores[h], coverage: coverages[h], tier: tiers[h], rank: ranks[h] };
    }
    ranked.corrections = corrections;
    const order = (a, b) => b.rank - a.rank || b.score - a.score;
    // A title that is the query comes first of all (tier 2). Only the first few results are
    // compared: their records are loaded to be shown anyway.
    const leading = ranked.slice(0, TITLE_CHECKS);
    if (options.worth && !(await options.worth(leading))) return [];
    if (leading.length > 1 && this.manifest) {
      const wanted = units.filter((unit) => !unit.weak && !unit.identifier).map((unit) => unit.word).join(' ');
      const docs = await this.documents(leading.map((r) => r.ref));
      let promoted = false;
      docs.forEach((doc, i) => {
        if (titleKey(doc.title) === wanted) {
          leading[i].tier = 2;
          leading[i].rank += 1e6;
          promoted = true;
        }
      });
      // Promoted results only move up, so everything after the leading ones keeps its place:
      // sorting the leading ones (stably) is the whole sort.
      if (promoted) ranked.splice(0, leading.length, ...leading.sort(order));
    }
    return ranked;
  }

  // Terms one edit (insert, delete, substitute, swap neighbours) from `word`, or the stem of a
  // spelling one edit from it: [{terms: [term], spelling: term}…], the most common first.
  async wordVariants(word) {
    if (!this.source.vocabulary) return [];
    const length = Array.from(word).length;
    const found = new Map();
    const stems = stemsOneEditAway(word);
    for (const [term, count] of await this.source.vocabulary(word)) {
      if (term === word) continue;
      if ((Math.abs(Array.from(term).length - length) <= 1 && oneEdit(word, term)) || stems.has(term)) found.set(term, count);
    }
    return [...found].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TYPO_VARIANTS).map(([term]) => ({ terms: [term], spelling: term }));
  }

  // Spellings of a kana run that differ by a voiced mark, a small kana or a long vowel mark,
  // as [{terms: its bigrams, spelling}], keeping those whose bigrams are all indexed, most
  // documents first.
  async kanaVariants(run, postingOf, docsOf, inAll, typedCount) {
    // Only the characters of the bigram that keeps the rest from matching are varied (ト in
    // パスワート: every document with パスワ lacks ート), so few extra shards are loaded.
    // The bigrams the query searched for (a particle's are not), each with where it starts: the
    // documents that hold "の再" say nothing about a misspelt パスワート in パスワートの再設定.
    const chars = Array.from(run);
    const starts = chars.length > 1 ? keptBigramStarts(run) : [];
    const grams = starts.map((i) => chars[i] + chars[i + 1]);
    const lists = [];
    for (const gram of grams) {
      await postingOf(gram);
      lists.push(docsOf(gram));
    }
    let suspects = grams.map((_, i) => i).filter((i) => !lists[i].length);
    if (!suspects.length && lists.length > 1) {
      // Documents with every bigram but the i-th: those with all of them, and those lacking one,
      // that one being the i-th.
      const { both, hold } = inAll(lists);
      let lackingOne = 0;
      for (let ref = 0; ref < hold.length; ref += 1) if (hold[ref] === lists.length - 1) lackingOne += 1;
      const without = lists.map((list) => {
        let inThisOne = 0;
        for (let i = 0; i < list.length; i += 1) if (hold[list[i]] === lists.length - 1) inThisOne += 1;
        return both + lackingOne - inThisOne;
      });
      const most = Math.max(...without);
      if (most > typedCount) suspects = without.map((n, i) => (n === most ? i : -1)).filter((i) => i >= 0);
    }
    if (!suspects.length) return [];
    const positions = new Set(suspects.flatMap((i) => [starts[i], starts[i] + 1]));
    const typed = new Set(grams);
    const variants = [...new Set(kanaSpellings(run, positions))].filter((v) => v !== run).slice(0, KANA_VARIANT_CHECKS)
      .map((variant) => ({ variant, terms: keptBigrams(variant) }));
    // Kana-only bigrams are looked up in small word lists (no postings) first; only the likeliest
    // spellings then load their postings.
    const kana = (term) => Array.from(term).every((char) => char >= '\u3041' && char <= '\u30ff');
    const counts = this.source.kanaVocabulary
      ? new Map(await this.source.kanaVocabulary(variants.flatMap(({ terms }) => terms.filter((t) => !typed.has(t) && kana(t)))))
      : null;
    const likely = [];
    for (const { variant, terms } of variants) {
      let estimate = Infinity;
      let known = true;
      for (const term of terms) {
        if (typed.has(term)) continue;
        if (counts && kana(term)) {
          if (!counts.has(term)) { known = false; break; }
          estimate = Math.min(estimate, counts.get(term));
        } else if (!(await this.source.expand(term, false)).length) { known = false; break; }
      }
      if (known) likely.push({ variant, terms, estimate });
    }
    likely.sort((a, b) => b.estimate - a.estimate || (a.variant < b.variant ? -1 : 1));
    const candidates = [];
    for (const { variant, terms } of likely.slice(0, KANA_VARIANTS)) {
      for (const term of terms) await postingOf(term);
      const { both } = inAll(terms.map((term) => docsOf(term)));
      if (terms.length && both > typedCount) candidates.push({ terms, count: both, variant });
    }
    candidates.sort((a, b) => b.count - a.count || (a.variant < b.variant ? -1 : 1));
    return candidates.map((c) => ({ terms: c.terms, spelling: c.variant }));
  }

  // Display records of numeric refs: {ref, url, title, category, categoryTitle, summary, translationKey, translations}.
  async documents(refs) {
    const { manifest } = this;
    const records = await Promise.all(refs.map(async (ref) => {
      const chunk = await this.source.load(this.source.prefix + manifest.chunks[Math.floor(ref / manifest.chunkSize)]);
      const [url, title, category, summary, translationKey, translations] = chunk.docs[ref % manifest.chunkSize];
      const [categoryPath, categoryTitle] = manifest.categories[category];
      return { ref, url, title, category: categoryPath, categoryTitle, summary, translationKey, translations: translations || {} };
    }));
    return records;
  }

  categoryOf(ref) {
    const [path, title] = this.manifest.categories[this.manifest.docCategories[ref]];
    return { path, title };
  }
}

// Searches of real indexes started on this page (the practice run below stops at the first).
let realSearches = 0;

// A small index in the shapes of the real data files (kbgen/search/indexer.py): numbered words in
// every field, a Japanese run, typo word lists, 32-document record chunks.
function practiceData() {
  const fields = ['title', 'keywords', 'description', 'headings', 'body', 'category', 'code', 'lead'];
  const docCount = 256;
  const words = [];
  for (let i = 0; i < 40; i += 1) words.push(`practice${String.fromCharCode(97 + (i % 26))}${i}`);
  words.push('練習', '習用', 'ウォ', 'ォー', 'ーム');
  words.sort();
  let seed = 1;
  const next = () => { seed = (seed * 48271) % 2147483647; return seed; };
  const files = new Map();
  const shards = [];
  for (let start = 0; start < words.length; start += 12) {
    const terms = words.slice(start, start + 12);
    const postings = terms.map(() => {
      const flat = [];
      fields.forEach((_, field) => {
        let last = 0;
        const entries = [];
        for (let doc = 0; doc < docCount; doc += 1) {
          if (next() % 4) continue;
          entries.push(doc - last, 1 + (next() % 3000));   // document number delta, value × 1000
          last = doc;
        }
        if (entries.length) flat.push(field, entries.length / 2, ...entries);
      });
      return flat;
    });
    files.set(`t${start}`, { terms, postings });
    shards.push([terms[0], `t${start}`, terms[terms.length - 1]]);
  }
  const chunks = [];
  for (let start = 0; start < docCount; start += 32) {
    const docs = [];
    for (let doc = start; doc < start + 32; doc += 1) docs.push([`p/${doc}/`, `${words[doc % words.length]} ${words[(doc * 7) % words.length]}`, 0, 'Practice.', '']);
    files.set(`d${start}`, { docs });
    chunks.push(`d${start}`);
  }
  const counted = words.filter((word) => /^[a-z]/.test(word)).map((word) => [word, 64]);
  files.set('v1', { vocab: counted });
  files.set('vk', { vocab: [['ウォ', 64], ['ォー', 64], ['ーム', 64], ['ウオ', 8]] });
  files.set('index.js', {
    format: 7, lang: 'en', fields, docCount, shards, chunkSize: 32, chunks, categories: [['practice', 'Practice']],
    docCategories: new Array(docCount).fill(0), featured: [], vocab: [['1p', 'v1'], ['2r', 'v1'], ['kウ', 'vk']], initials: [],
  });
  return async (id) => files.get(id);
}

// What a visitor types, in both scripts: a word, a prefix, a question, a misspelling, kana.
const PRACTICE_QUERIES = ['practicea0', 'practiceb1 practicec2 pr', 'how do I practiced3', 'practcea0', '練習用', 'ウオーム'];

let practised = null;
// Runs the search code on the practice index once, a query at a time with pauses between, before
// the visitor's first query: a JavaScript engine compiles and tunes code as it first runs it. At
// 10,000 articles in Chromium, a page's first query then ranked in 31 ms instead of 40 (English)
// and 47 instead of 60 (Japanese). Stops as soon as a real search starts.
export function warmUpSearch() {
  if (!practised) {
    practised = (async () => {
      const index = await SearchIndex.open(practiceData(), '');
      index.practice = true;
      for (const query of PRACTICE_QUERIES) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (realSearches) return false;
        const results = await index.search(queryUnits(query));
        await index.documents(results.slice(0, TITLE_CHECKS).map((result) => result.ref));
      }
      return true;
    })();
  }
  return practised;
}

const openIndexes = new Map();
// The index of one language of the portal, opened once per page.
export function languageIndex(rootUrl, lang) {
  const key = `${rootUrl}|${lang}`;
  if (!openIndexes.has(key)) {
    const opening = SearchIndex.open(dataLoader(rootUrl), `search/${lang}/`);
    opening.catch(() => openIndexes.delete(key));
    openIndexes.set(key, opening);
  }
  return openIndexes.get(key);
}
