// Query runtime for kbgen's prebuilt search data. It scores exactly as lunr does
// (lunr.py Index.query): every clause required, a prefix clause expands to every indexed term
// with that prefix, the query vector holds how often each expanded term was asked for, and a
// document's score is the sum over its fields of dot(query, field vector) / |query|.
// Data comes either from lunr's own serialized JSON (tests compare us with lunr.py on it) or
// from kbgen's sharded files (kbgen/search/indexer.py), loaded as <script>s so the same code
// works over http, from file:// and from another origin (the widget).

export const DATA_CALLBACK = '__kbSearchData';

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

function injectScript(url, id) {
  return new Promise((resolve, reject) => {
    const { waiting } = callbackRegistry();
    if (!waiting.has(id)) waiting.set(id, []);
    waiting.get(id).push(resolve);
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
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

// load(id) for data files under `rootUrl` (the output root, relative or absolute).
export function scriptLoader(rootUrl) {
  const loaded = new Map();
  return (id) => {
    if (!loaded.has(id)) {
      const promise = injectScript(rootUrl + id, id);
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
    const docs = new Array(count);
    const values = new Array(count);
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
    this.fields = manifest.fields;
    this.load = load;
    this.prefix = prefix;
    this.shardFirstTerms = manifest.shards.map(([first]) => first);
    this.decoded = new Map();
  }

  shardPosition(term) {
    // Last shard whose first term is <= term.
    let position = lowerBound(this.shardFirstTerms, term);
    if (position === this.shardFirstTerms.length || this.shardFirstTerms[position] !== term) position -= 1;
    return Math.max(position, 0);
  }

  shardPositions(term, prefix) {
    if (!this.shardFirstTerms.length) return [];
    const positions = [this.shardPosition(term)];
    if (prefix) {
      for (let p = positions[0] + 1; p < this.shardFirstTerms.length && this.shardFirstTerms[p].startsWith(term); p += 1) {
        positions.push(p);
      }
    }
    return positions;
  }

  async shard(position) {
    return this.load(this.prefix + this.manifest.shards[position][1]);
  }

  async expand(term, prefix) {
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
    const data = await this.shard(this.shardPosition(term));
    const i = lowerBound(data.terms, term);
    const posting = data.terms[i] === term ? decodePosting(data.postings[i], this.fields) : [];
    this.decoded.set(term, posting);
    return posting;
  }

  // Preloads every shard a set of clauses touches, in parallel.
  async prefetch(clauses) {
    const positions = new Set();
    for (const { term, prefix } of clauses) for (const p of this.shardPositions(term, prefix)) positions.add(p);
    await Promise.all([...positions].map((p) => this.shard(p)));
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

  // clauses: [{term, prefix}] (tokenizer.queryTerms). Returns [{ref, score}], best first.
  async search(clauses) {
    if (!clauses.length) return [];
    if (this.source.prefetch) await this.source.prefetch(clauses);
    const expansions = [];
    for (const clause of clauses) {
      const expanded = await this.source.expand(clause.term, clause.prefix);
      if (!expanded.length) return []; // a required term that matches nothing
      if (clause.prefix) expanded.sort(lunrExpansionOrder);
      expansions.push(expanded);
    }
    const timesAsked = new Map();
    for (const expanded of expansions) for (const term of expanded) timesAsked.set(term, (timesAsked.get(term) || 0) + 1);
    const postings = new Map();
    for (const term of timesAsked.keys()) postings.set(term, await this.source.posting(term));

    let required = null;
    for (const expanded of expansions) {
      const matching = new Set();
      for (const term of expanded) for (const { docs } of postings.get(term)) for (const ref of docs) matching.add(ref);
      required = required ? new Set([...required].filter((ref) => matching.has(ref))) : matching;
      if (!required.size) return [];
    }

    let sumOfSquares = 0;
    for (const times of timesAsked.values()) sumOfSquares += times * times;
    const magnitude = Math.sqrt(sumOfSquares);

    // ref -> Map(field -> dot product), both in lunr's first-match order.
    const dots = new Map();
    const seen = new Set();
    for (const expanded of expansions) {
      for (const term of expanded) {
        const weight = timesAsked.get(term);
        for (const { field, docs, values } of postings.get(term)) {
          const termField = `${term}/${field}`;
          if (seen.has(termField)) continue;
          seen.add(termField);
          for (let i = 0; i < docs.length; i += 1) {
            const ref = docs[i];
            if (!required.has(ref)) continue;
            let byField = dots.get(ref);
            if (!byField) dots.set(ref, (byField = new Map()));
            byField.set(field, (byField.get(field) || 0) + weight * values[i]);
          }
        }
      }
    }
    const results = [];
    for (const [ref, byField] of dots) {
      let score = 0;
      for (const dot of byField.values()) score += dot / magnitude;
      results.push({ ref, score });
    }
    return results.sort((a, b) => b.score - a.score);
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

const openIndexes = new Map();
// The index of one language of the portal, opened once per page.
export function languageIndex(rootUrl, lang) {
  const key = `${rootUrl}|${lang}`;
  if (!openIndexes.has(key)) {
    const opening = SearchIndex.open(scriptLoader(rootUrl), `search/${lang}/`);
    opening.catch(() => openIndexes.delete(key));
    openIndexes.set(key, opening);
  }
  return openIndexes.get(key);
}
