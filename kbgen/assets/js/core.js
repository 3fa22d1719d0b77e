// Page core shared by every hook: where the site root and API are, and a registry of mount
// points so each feature module only says which element it fills.

const mountInitializers = new Map();

export function registerMount(name, initialize) {
  mountInitializers.set(name, initialize);
}

function readMeta(name, fallback) {
  const meta = typeof document !== 'undefined' ? document.querySelector(`meta[name="${name}"]`) : null;
  return meta ? meta.getAttribute('content') : fallback;
}

// Facts about the current page, read from the <meta> tags every theme emits via _head.html.
export function pageContext() {
  return {
    lang: readMeta('kb-lang', 'en'),
    root: readMeta('kb-root', './'),
    api: (readMeta('kb-api', '') || '').replace(/\/$/, ''),
    fromFile: typeof location !== 'undefined' && location.protocol === 'file:',
  };
}

// A page opened from disk has no server beside it: a relative API address leads nowhere, so
// hooks that would only fail (and fill the console with errors) stay quiet there.
export function apiAvailable(context) {
  return Boolean(context.api) && !(context.fromFile && !/^https?:/i.test(context.api));
}

export function siteUrl(path) {
  return pageContext().root + path;
}

// A portal page (tickets, account, community, feedback, roadmap) of a language: they live in the
// folder the build names in <meta name="kb-portal"> (kbgen.config.portal_url), so content may
// use those names for its own folders.
export function portalUrl(lang, app) {
  const folder = (readMeta('kb-portal', '_portal') || '').replace(/^\/+|\/+$/g, '');
  return siteUrl(`${lang}/${folder ? `${folder}/` : ''}${app}/`);
}

export function onReady(callback) {
  if (typeof document === 'undefined') return; // imported by node (tests): no page to wait for
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', callback, { once: true });
  } else {
    callback();
  }
}

// A failing hook must not take the rest of the page down with it.
export function startMounts() {
  for (const element of document.querySelectorAll('[data-kb-mount]')) {
    const initialize = mountInitializers.get(element.dataset.kbMount);
    if (!initialize || element.dataset.kbMounted) continue;
    element.dataset.kbMounted = '1';
    try {
      initialize(element, pageContext());
    } catch (error) {
      console.error(`kbgen: the "${element.dataset.kbMount}" hook failed`, error);
    }
  }
}

// file:// has no directory index, so "foo/" must become "foo/index.html" there.
export function fixDirectoryLinksForFiles() {
  if (!pageContext().fromFile) return;
  for (const link of document.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href');
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('#')) continue;
    const [path, fragment] = href.split('#');
    if (path.endsWith('/')) link.setAttribute('href', `${path}index.html${fragment !== undefined ? '#' + fragment : ''}`);
    else if (path === '.' || path === '..' || path.endsWith('/.') || path.endsWith('/..')) {
      link.setAttribute('href', `${path}/index.html${fragment !== undefined ? '#' + fragment : ''}`);
    }
  }
}
