// Embeddable search widget: any website adds <script src="https://help.example.com/widgets/help.js">
// and gets a search box whose popup lists the portal's most relevant articles from the widget's
// categories. It lives in a shadow root (no style leaks either way), defines no global but the
// shared data callback, and loads its own small index as scripts (no CORS needed).
// kbgen/search/widget.py bundles this file with its imports and calls startWidget(config).
import { queryUnits } from './tokenizer.js';
import { SearchIndex, dataLoader, warmUpSearch } from './search-index.js';
import { highlighted, highlightPatterns, snippetOf, worthSearching } from './search-highlight.js';
import { translator } from './strings.js';

const WIDGET_STYLE = `
:host{all:initial;display:block;position:relative;font:15px/1.45 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;color:#1f2328;max-width:32rem}
*{box-sizing:border-box}
label{display:block;font-weight:600;margin:0 0 .3rem}
input{width:100%;font:inherit;padding:.5rem .7rem;border:1px solid #8c959f;border-radius:.45rem;background:#fff;color:#1f2328}
input:focus{outline:2px solid #0969da;outline-offset:1px}
ul{position:absolute;z-index:2147483000;left:0;right:0;margin:.25rem 0 0;padding:.25rem;list-style:none;background:#fff;border:1px solid #d0d7de;border-radius:.45rem;box-shadow:0 .5rem 1.5rem rgb(0 0 0 / .18);max-height:24rem;overflow:auto}
ul[hidden]{display:none}
li{margin:0;padding:0}
li.note{padding:.45rem .6rem;font-size:.85em;color:#57606a}
a{display:block;padding:.45rem .6rem;border-radius:.3rem;color:#0969da;text-decoration:none}
a[aria-selected=true],a:hover{background:#ddf4ff}
.title{display:block;font-weight:600}
.category{display:block;font-size:.8em;color:#57606a}
.snippet{display:block;font-size:.85em;color:#1f2328}
mark{background:#fff8c5;color:inherit}
.status{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

function make(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
}

// The portal root: the folder above widgets/, taken from the script's own address so the links
// and data follow wherever the portal is actually served; site_url when that is unknown.
export function portalRoot(scriptSrc, siteUrl) {
  if (scriptSrc) return new URL('../', scriptSrc).href;
  return siteUrl;
}

export function startWidget(config) {
  const script = document.currentScript;
  const root = portalRoot(script && script.src, config.siteUrl);
  // the widget's words (js_widget_* of the i18n files) come in its config: it runs on other sites
  const text = translator({ en: config.strings || {}, [config.lang]: config.strings || {} }, config.lang);
  const place = () => {
    const target = document.querySelector(`[data-kb-widget="${config.name}"]`);
    const host = target && !target.shadowRoot ? target : document.createElement('div');
    if (!target) {
      host.setAttribute('data-kb-widget', config.name);
      if (script && script.parentNode && script.parentNode !== document.head) script.after(host);
      else document.body.append(host);
    }
    mountWidget(host, config, root, text);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', place, { once: true });
  else place();
}

function mountWidget(host, config, root, text) {
  const shadow = host.attachShadow({ mode: 'open' });
  const inputId = `kb-widget-${config.name}-input`;
  const listId = `kb-widget-${config.name}-list`;
  const input = make('input', {
    id: inputId, type: 'search', role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': listId, autocomplete: 'off', placeholder: text('placeholder'),
  });
  const list = make('ul', { id: listId, role: 'listbox', 'aria-label': config.title || text('placeholder'), hidden: '' });
  const status = make('div', { role: 'status', 'aria-live': 'polite', class: 'status' });
  shadow.append(make('style', {}, WIDGET_STYLE), make('label', { for: inputId }, config.title || text('placeholder')), input, list, status);

  let indexPromise = null;
  const index = () => {
    if (!indexPromise) {
      indexPromise = SearchIndex.open(dataLoader(root), `widgets/${config.name}/`);
      indexPromise.catch(() => { indexPromise = null; });
    }
    return indexPromise;
  };
  let active = -1;
  let generation = 0;
  const options = () => [...list.querySelectorAll('[role="option"]')];
  const close = () => {
    generation += 1; // a search still loading must not reopen the list
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const setActive = (position) => {
    const all = options();
    if (!all.length) return;
    active = (position + all.length) % all.length;
    all.forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', all[active].id);
  };

  const show = async (query) => {
    const mine = ++generation;
    let items = [];
    try {
      const opened = await index();
      const clauses = queryUnits(query);
      let refs;
      let corrections = [];
      let heading = null;
      if (!query.trim() || !worthSearching(clauses)) {
        refs = opened.manifest.featured;
        heading = text('popular');
      } else {
        const results = await opened.search(clauses);
        refs = results.slice(0, config.maxResults).map((r) => r.ref);
        corrections = results.corrections || [];
      }
      const docs = await opened.documents(refs);
      if (mine !== generation) return;
      const patterns = heading ? [] : highlightPatterns(query, corrections);
      if (heading) items.push(make('li', { class: 'note', role: 'presentation' }, heading));
      docs.forEach((doc, i) => {
        items.push(make('li', { role: 'none' },
          make('a', {
            href: new URL(doc.url, root).href, target: '_blank', rel: 'noopener', tabindex: '-1',
            role: 'option', id: `${listId}-${i}`, 'aria-selected': 'false',
          },
            make('span', { class: 'title' }, highlighted(doc.title, patterns)),
            make('span', { class: 'category' }, doc.categoryTitle),
            make('span', { class: 'snippet' }, highlighted(snippetOf(doc.summary, patterns), patterns)))));
      });
      if (!docs.length) items.push(make('li', { class: 'note', role: 'presentation' }, text('none')));
      status.textContent = heading ? '' : text('results', { n: docs.length });
    } catch (error) {
      if (mine !== generation) return;
      items = [make('li', { class: 'note', role: 'presentation' }, text('failed'))];
    }
    list.replaceChildren(...items);
    list.hidden = false;
    active = -1;
    input.setAttribute('aria-expanded', 'true');
  };

  input.addEventListener('focus', () => {
    show(input.value);
    // as in the portal's search box: the first query need not wait for the code to warm up
    warmUpSearch().catch(() => null);
  });
  input.addEventListener('input', () => show(input.value));
  input.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setActive(active + (event.key === 'ArrowDown' ? 1 : -1));
    } else if (event.key === 'Enter' && active >= 0) {
      event.preventDefault();
      window.open(options()[active].href, '_blank', 'noopener');
    } else if (event.key === 'Escape') {
      close();
    }
  });
  list.addEventListener('mousedown', (event) => event.preventDefault());
  input.addEventListener('blur', () => setTimeout(close, 150));
}
