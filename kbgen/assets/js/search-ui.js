// Search UI: results while typing in the header box (an ARIA combobox), and the full results page
// (search.html?q=…&category=…) with a category filter. When nothing matches in the page's
// language, matches from the other languages are shown, labelled, with a link to the
// translation in the reader's language when there is one. Themes only provide the form and the
// mount point; everything else (including a little CSS) comes from here.
import { onReady, pageContext, registerMount } from './core.js';
import { queryUnits, runs } from './tokenizer.js';
import { highlighted, highlightPatterns, snippetOf, worthSearching } from './search-highlight.js';
import { languageIndex, savingData, dataLoader, warmUpSearch } from './search-index.js';
import { uiText } from './strings.js';

// The search box's and results page's words (js_search_* in the i18n files).
export function searchText(lang) {
  return uiText('search', lang);
}

const POPUP_RESULTS = 8;
// The search box searches once typing pauses this long (ms), not on every keystroke.
const TYPING_PAUSE_MS = 60;
// After the first results: a moment before background loading competes with the next keystroke.
const PREFETCH_DELAY_MS = 300;
const PAGE_RESULTS = 20;

function pageHref(context, url) {
  const href = context.root + url;
  return context.fromFile && href.endsWith('/') ? `${href}index.html` : href;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'className') node.className = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

let languagesPromise = null;
function languageNames(context) {
  if (!languagesPromise) {
    languagesPromise = dataLoader(context.root)('search/languages.js')
      .then((data) => data.languages)
      .catch(() => [[context.lang, context.lang]]);
  }
  return languagesPromise;
}

// Languages written in CJK script: a query typed in it on another language's page (a katakana
// product name on an English page) is meant for their articles too.
const CJK_LANGUAGES = new Set(['ja', 'zh', 'ko']);

// The query that last had to look in other languages, and which ones: a query that extends it
// ("export dat" → "export data") most likely has to as well, so their search starts together with
// the page language's instead of after it.
let lastFallback = { query: null, codes: [] };

// Starts loading the page language's data for `query` (see SearchIndex.preload).
function preloadQuery(context, query) {
  const clauses = queryUnits(query);
  if (!worthSearching(clauses)) return;
  languageIndex(context.root, context.lang).then((index) => index.preload(clauses)).catch(() => null);
}

// {lang, results: [{ref, score, coverage, tier}], index, foreign} for the page's language, and
// for other languages when the query is written in their script or matches more of it there
// (not only when the page's language finds nothing).
export async function searchWithFallback(context, query) {
  const clauses = queryUnits(query);
  if (!worthSearching(clauses)) {
    // One letter is too little to show results for, but a second is coming: warming up with the
    // letter's most frequent words loads their shards and the records they rank first, and runs
    // the ranking code once, while the visitor types.
    if (clauses.length) languageIndex(context.root, context.lang).then((index) => index.warmUp(clauses)).catch(() => null);
    return { clauses, groups: [] };
  }
  const queryRuns = runs(query);
  const cjkQuery = queryRuns.some((run) => run.cjk);
  const inTheirScript = (code) => cjkQuery && CJK_LANGUAGES.has(code) && !CJK_LANGUAGES.has(context.lang);
  // Another language's results are shown, when it finds any, if the page's language has none or
  // the query is in their script; otherwise if they match more of it (below). Searches there know
  // it before they compare titles, which loads the records of their first results: most
  // fallbacks end there.
  const shownIfFound = (mine, code) => !mine.length || inTheirScript(code);
  let ownDone;
  const own = new Promise((resolve) => { ownDone = resolve; });
  const worthShowing = (code) => async (leading) => {
    const mine = await own;
    return shownIfFound(mine, code) || leading.some((result) => result.coverage > mine[0].coverage);
  };
  const early = new Map();
  if (lastFallback.query !== null && query.startsWith(lastFallback.query)) {
    for (const code of lastFallback.codes) {
      early.set(code, languageIndex(context.root, code).then((other) => other.search(clauses, { worth: worthShowing(code) })));
      early.get(code).catch(() => null);   // unused when the page's language is enough
    }
  }
  let index = null;
  let results = [];
  try {
    index = await languageIndex(context.root, context.lang);
    results = await index.search(clauses);
  } finally {
    ownDone(results);
  }
  const groups = results.length ? [{ lang: context.lang, name: null, index, results, foreign: false }] : [];
  const best = results.length ? results[0].coverage : 0;
  const whole = clauses.filter((unit) => !unit.weak).length;
  // "Much better there" needs room: a typo or a prefix (0.75 of a word) is not a reason to load
  // another language's index.
  if (results.length && best >= whole * 0.75 && !(cjkQuery && !CJK_LANGUAGES.has(context.lang))) {
    lastFallback = { query, codes: [] };
    return { clauses, groups };
  }
  const searched = [];
  for (const [code, name] of await languageNames(context)) {
    if (code === context.lang) continue;
    searched.push(code);
    const theirScript = inTheirScript(code);
    try {
      const other = await languageIndex(context.root, code);
      const shown = shownIfFound(results, code);
      const found = early.has(code) ? await early.get(code)
        : await other.search(clauses, shown ? {} : { worth: worthShowing(code) });
      if (found.length && (shown || found[0].coverage > best)) {
        const group = { lang: code, name, index: other, results: found, foreign: true };
        // Written in their script and matching there at least as well: their articles first.
        if (theirScript && found[0].coverage >= best) groups.unshift(group);
        else groups.push(group);
      }
    } catch (error) {
      console.warn('kbgen search:', error);
    }
  }
  lastFallback = { query, codes: searched };
  return { clauses, groups };
}

// Once results are on screen, and the visitor had a moment to look at them, the rest of the page
// language's records load in the background (see SearchIndex.prefetchRecords), and the other
// languages' manifests (a few KB), so a query that falls back to them waits for their term shards
// alone. Not when the browser asks to save data.
let prefetching = false;
function prefetchAfterResults(context, groups) {
  const saveData = savingData();
  const own = groups.find((group) => !group.foreign);
  if (prefetching || saveData || !own || !own.index.prefetchRecords) return;
  prefetching = true;
  setTimeout(() => {
    own.index.prefetchRecords();
    languageNames(context)
      .then((names) => names.filter(([code]) => code !== context.lang)
        .forEach(([code]) => languageIndex(context.root, code).catch(() => null)))
      .catch(() => null);
  }, PREFETCH_DELAY_MS);
}

function resultLink(context, doc, group) {
  const translation = group.foreign ? doc.translations[context.lang] : null;
  return translation ? pageHref(context, translation[0]) : pageHref(context, doc.url);
}

// The list opens under the box, from its left edge; a box near the window's right edge (a
// header whose title is long, as Japanese ones are) opens it leftwards from its right edge
// instead, so no result is cut off by the window, unless that cuts it off on the left.
function fitInWindow(popup) {
  popup.style.left = '';
  popup.style.right = '';
  const width = document.documentElement.clientWidth;
  if (popup.getBoundingClientRect().right <= width) return;
  popup.style.left = 'auto';
  popup.style.right = '0';
  if (popup.getBoundingClientRect().left < 0) {
    popup.style.left = '';
    popup.style.right = '';
  }
}

// ---- header box --------------------------------------------------------------------------

let styleInstalled = false;
function installStyle() {
  if (styleInstalled || document.getElementById('kb-search-style')) return;
  styleInstalled = true;
  const style = document.createElement('style');
  style.id = 'kb-search-style';
  style.textContent = `
.kb-search{position:relative}
.kb-search-popup{position:absolute;z-index:1000;top:100%;left:0;min-width:min(28rem,90vw);max-width:90vw;margin:.25rem 0 0;padding:.25rem;list-style:none;background:Canvas;color:CanvasText;border:1px solid GrayText;border-radius:.4rem;box-shadow:0 .4rem 1.2rem rgb(0 0 0 / .2);max-height:70vh;overflow:auto;text-align:start}
.kb-search-popup[hidden]{display:none}
.kb-search-popup li{margin:0;padding:0}
.kb-search-popup li.kb-search-note{padding:.45rem .6rem}
.kb-search-popup [role=option]{display:block;padding:.45rem .6rem;border-radius:.3rem;color:inherit;text-decoration:none;cursor:pointer}
.kb-search-popup [role=option][aria-selected=true],.kb-search-popup [role=option]:hover{background:rgb(127 127 127 / .18);outline:2px solid currentColor;outline-offset:-2px}
.kb-search-popup .kb-search-title{display:block;font-weight:600}
.kb-search-popup .kb-search-category,.kb-search-popup .kb-search-language{display:block;font-size:.8em;opacity:.75}
.kb-search-popup .kb-search-snippet{display:block;font-size:.85em;opacity:.9}
.kb-search-popup .kb-search-note{cursor:default;font-size:.85em;opacity:.8}
.kb-search-popup mark,.kb-search-results mark{background:#ffe066;color:#111;padding:0 .05em;border-radius:.15em}
.kb-visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.kb-search-results ol{list-style:none;padding:0}
.kb-search-results li{margin:0 0 1.1rem}
.kb-search-results .kb-search-category,.kb-search-results .kb-search-language{display:block;font-size:.85em;opacity:.75}
.kb-search-results [hidden]{display:none!important}
.kb-search-filter{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0 1rem;padding:0;border:0}
.kb-search-filter button{font:inherit;font-size:.9em;padding:.2rem .6rem;border:1px solid GrayText;border-radius:1rem;background:Canvas;color:CanvasText;cursor:pointer}
.kb-search-filter button[aria-pressed=true]{background:CanvasText;color:Canvas;border-color:CanvasText}
`;
  document.head.append(style);
}

let popupCount = 0;

function enhanceSearchForm(form, context) {
  const input = form.querySelector('input[name="q"]');
  if (!input || input.dataset.kbSearchReady) return;
  input.dataset.kbSearchReady = '1';
  installStyle();
  const text = searchText(context.lang);
  popupCount += 1;
  const listId = `kb-search-list-${popupCount}`;
  const popup = element('ul', { id: listId, role: 'listbox', className: 'kb-search-popup', 'aria-label': text('label'), hidden: true });
  const status = element('div', { role: 'status', 'aria-live': 'polite', className: 'kb-visually-hidden' });
  form.append(popup, status);
  // An ARIA combobox must be a text input: HTML does not allow role=combobox on type=search.
  if (input.type === 'search') input.type = 'text';
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('autocomplete', 'off');

  let active = -1;
  let generation = 0;
  let timer = null;
  let lastInput = -Infinity;

  // The visitor is about to search (a pointer over the box, focus, a touch): the language's
  // manifest starts loading (a few KB; not when the browser asks to save data) and the search
  // code runs once on a practice index, so the first query waits for neither.
  const prepare = () => {
    if (!savingData()) languageIndex(context.root, context.lang).catch(() => null);
    warmUpSearch().catch(() => null);
  };
  for (const type of ['pointerenter', 'focus', 'touchstart']) input.addEventListener(type, prepare, { once: true, passive: true });

  const options = () => [...popup.querySelectorAll('[role="option"]')];
  const close = () => {
    popup.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const open = () => {
    popup.hidden = false;
    // Measured before the next paint, when the page is laid out anyway: measuring at once would
    // lay it out an extra time on every keystroke.
    requestAnimationFrame(() => { if (!popup.hidden) fitInWindow(popup); });
    input.setAttribute('aria-expanded', 'true');
  };
  const setActive = (position) => {
    const all = options();
    if (!all.length) return;
    active = (position + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute('aria-selected', i === active ? 'true' : 'false'));
    input.setAttribute('aria-activedescendant', all[active].id);
    all[active].scrollIntoView({ block: 'nearest' });
  };

  const render = async (query, mine, typed = performance.now()) => {
    const started = performance.now();
    let outcome;
    try {
      outcome = await searchWithFallback(context, query);
    } catch (error) {
      console.error('kbgen search:', error);
      if (mine !== generation) return;
      popup.replaceChildren(element('li', { className: 'kb-search-note', role: 'presentation' }, text('failed')));
      open();
      return;
    }
    if (mine !== generation) return; // a newer keystroke won
    const items = [];
    let total = 0;
    if (!outcome.groups.length) {
      if (!outcome.clauses.length || !worthSearching(outcome.clauses)) {
        close();
        status.textContent = '';
        popup.dataset.query = query;
        return;
      }
      items.push(element('li', { className: 'kb-search-note', role: 'presentation' }, text('none', { q: query })));
    }
    let number = 0;
    for (const group of outcome.groups) {
      total += group.results.length;
      if (group.foreign && number === 0 && !outcome.groups.some((g) => !g.foreign)) {
        items.push(element('li', { className: 'kb-search-note', role: 'presentation' }, text('none_here')));
      }
      // With two languages, the first leaves room for the second.
      const room = number === 0 && outcome.groups.length > 1 ? POPUP_RESULTS - 3 : POPUP_RESULTS - number;
      const shown = group.results.slice(0, Math.max(room, group.foreign ? 3 : 0));
      const patterns = highlightPatterns(query, group.results.corrections);
      const docs = await group.index.documents(shown.map((r) => r.ref));
      if (mine !== generation) return;
      for (const doc of docs) {
        number += 1;
        // The link itself is the option: a listbox option must not contain a focusable element.
        const option = element('a', {
          href: resultLink(context, doc, group), tabindex: '-1', role: 'option', id: `${listId}-${number}`,
          'aria-selected': 'false', lang: group.foreign ? group.lang : null, 'data-kb-doc': doc.url,
        },
          group.foreign ? element('span', { className: 'kb-search-language' }, text('in_language', { name: group.name })) : null,
          element('span', { className: 'kb-search-title' }, highlighted(doc.title, patterns)),
          element('span', { className: 'kb-search-category' }, doc.categoryTitle),
          element('span', { className: 'kb-search-snippet' }, highlighted(snippetOf(doc.summary, patterns), patterns)));
        items.push(element('li', { role: 'none' }, option));
      }
    }
    if (total) {
      const params = new URLSearchParams({ q: query });
      items.push(element('li', { role: 'none', className: 'kb-search-all' },
        element('a', {
          href: `${form.getAttribute('action') || pageHref(context, `${context.lang}/search.html`)}?${params}`,
          tabindex: '-1', role: 'option', id: `${listId}-all`, 'aria-selected': 'false',
        }, text('see_all', { q: query }))));
    }
    popup.replaceChildren(...items);
    prefetchAfterResults(context, outcome.groups);
    // the query this list answers: the list follows every keystroke, and whoever reads it (a
    // test, an assistive tool) can tell the answer to "webhoo" from the answer to "webhook"
    popup.dataset.query = query;
    active = -1;
    input.removeAttribute('aria-activedescendant');
    status.textContent = text('results', { n: total });
    open();
    // Read by the search benchmark (benchmarks/search_browser.py): query to rendered results, and
    // when the keystroke that asked for it landed (before the typing pause).
    try {
      performance.measure('kb-search', { start: started, detail: { query, total, typed } });
    } catch (error) {
      // older browsers: no timing, no harm
    }
  };

  // While an IME composes (Japanese), the text is not final: search when it is committed.
  let composing = false;
  input.addEventListener('compositionstart', () => { composing = true; });
  input.addEventListener('compositionend', () => {
    composing = false;
    input.dispatchEvent(new Event('input'));
  });
  input.addEventListener('input', () => {
    if (composing) return;
    generation += 1;
    const mine = generation;
    clearTimeout(timer);
    const query = input.value;
    if (!query.trim()) {
      close();
      popup.replaceChildren();
      status.textContent = '';
      return;
    }
    // Typed at a pace where every keystroke gets its results, its data starts loading now, while
    // the pause runs (at 10,000 articles, the English keystrokes that need new term shards waited
    // 20-50 ms for them after it); keystrokes that come faster only load what the last one needs.
    const now = performance.now();
    if (now - lastInput >= TYPING_PAUSE_MS && !savingData()) preloadQuery(context, query);
    lastInput = now;
    timer = setTimeout(() => render(query, mine, now), TYPING_PAUSE_MS);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (popup.hidden && options().length) open();
      event.preventDefault();
      setActive(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && active >= 0 && !popup.hidden) {
      const option = options()[active];
      if (option) {
        event.preventDefault();
        window.location.href = option.href;
      }
    } else if (event.key === 'Escape') {
      // A search still waiting on the typing debounce would reopen the popup after Escape.
      generation += 1;
      clearTimeout(timer);
      if (!popup.hidden) {
        event.preventDefault();
        close();
      } else {
        input.value = '';
      }
    }
  });
  popup.addEventListener('mousedown', (event) => event.preventDefault()); // keep focus in the box
  input.addEventListener('focus', () => {
    if (options().length && input.value.trim()) open();
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  document.addEventListener('click', (event) => {
    if (!form.contains(event.target)) close();
  });
}

// ---- results page ------------------------------------------------------------------------

function renderResultsPage(mount, context) {
  installStyle();
  const text = searchText(context.lang);
  mount.classList.add('kb-search-results');
  const params = new URLSearchParams(window.location.search);
  const query = (params.get('q') || '').trim();
  let category = params.get('category') || '';
  for (const box of document.querySelectorAll('form[data-kb-search] input[name="q"]')) if (!box.value) box.value = query;
  const status = element('p', { role: 'status', 'aria-live': 'polite', className: 'kb-search-summary' });
  const filter = element('div', { className: 'kb-search-filter', role: 'group', 'aria-label': text('filter') });
  const list = element('div');
  mount.replaceChildren(status, filter, list);
  if (!query) {
    status.textContent = text('empty');
    return;
  }
  const show = async (outcome) => {
    const [group, ...others] = outcome.groups;
    if (!group) {
      status.textContent = text('none', { q: query });
      filter.replaceChildren();
      list.replaceChildren();
      return;
    }
    // The filter offers every category path that has results, and its ancestors.
    const counts = new Map();
    const titles = new Map();
    for (const { ref } of group.results) {
      const { path, title } = group.index.categoryOf(ref);
      if (!path) continue; // an article outside every category: only under "All"
      const parts = path.split('/');
      const titleParts = title.split(' › ');
      for (let depth = 1; depth <= parts.length; depth += 1) {
        const ancestor = parts.slice(0, depth).join('/');
        counts.set(ancestor, (counts.get(ancestor) || 0) + 1);
        if (!titles.has(ancestor)) titles.set(ancestor, titleParts.slice(0, depth).join(' › ') || ancestor);
      }
    }
    if (category && !counts.has(category)) category = '';
    const inCategory = (ref) => !category || `${group.index.categoryOf(ref).path}/`.startsWith(`${category}/`);
    const matching = group.results.filter((r) => inCategory(r.ref));
    const own = outcome.groups.some((g) => !g.foreign);
    status.textContent = group.foreign && !own ? text('none_here') : text('results_for', { n: matching.length, q: query });

    const button = (path, label, count) => {
      const node = element('button', { type: 'button', 'aria-pressed': path === category ? 'true' : 'false', 'data-category': path }, `${label} (${count})`);
      node.addEventListener('click', () => {
        category = path;
        const next = new URLSearchParams(window.location.search);
        if (path) next.set('category', path);
        else next.delete('category');
        history.replaceState(null, '', `${window.location.pathname}?${next}`);
        show(outcome); // redraws the filter synchronously, before its first await
        // The pressed button was just replaced: keep keyboard focus on its successor.
        for (const candidate of filter.querySelectorAll('button')) if (candidate.dataset.category === path) candidate.focus();
      });
      return node;
    };
    filter.replaceChildren(
      button('', text('all'), group.results.length),
      ...[...counts.keys()].sort().map((path) => button(path, titles.get(path), counts.get(path))),
    );
    filter.hidden = counts.size < 2 && !category;

    const sections = [];
    for (const shownGroup of [group, ...others]) {
      const results = shownGroup === group ? matching : shownGroup.results;
      const ol = element('ol', { lang: shownGroup.foreign ? shownGroup.lang : null });
      const section = element('section', {}, ol);
      if (shownGroup.foreign) section.prepend(element('h2', { className: 'kb-search-language' }, text('in_language', { name: shownGroup.name })));
      const patterns = highlightPatterns(query, shownGroup.results.corrections);
      let shown = 0;
      const more = element('button', { type: 'button', className: 'kb-search-more' }, text('more'));
      const showMore = async () => {
        const batch = results.slice(shown, shown + PAGE_RESULTS);
        shown += batch.length;
        const docs = await shownGroup.index.documents(batch.map((r) => r.ref));
        for (const doc of docs) {
          const translation = shownGroup.foreign ? doc.translations[context.lang] : null;
          ol.append(element('li', {},
            element('a', { href: pageHref(context, doc.url), className: 'kb-search-title' }, highlighted(doc.title, patterns)),
            element('span', { className: 'kb-search-category' }, doc.categoryTitle),
            element('p', { className: 'kb-search-snippet' }, highlighted(snippetOf(doc.summary, patterns), patterns)),
            translation ? element('a', { href: pageHref(context, translation[0]), className: 'kb-search-translation', lang: context.lang }, text('read_translation', { title: translation[1] })) : null));
        }
        more.hidden = shown >= results.length;
      };
      more.addEventListener('click', showMore);
      section.append(more);
      await showMore();
      sections.push(section);
    }
    list.replaceChildren(...sections);
  };

  searchWithFallback(context, query)
    .then(show)
    .catch((error) => {
      console.error('kbgen search:', error);
      status.textContent = text('failed');
    });
}

registerMount('search-results', (mount, context) => renderResultsPage(mount, context));

// Guarded so node can import this module (its tests run without a DOM).
if (typeof document !== 'undefined') onReady(() => {
  const context = pageContext();
  for (const form of document.querySelectorAll('form[data-kb-search]')) enhanceSearchForm(form, context);
});
