// The browser's words. They live in the same i18n TOML files as the templates' (kbgen/i18n/<lang>.toml,
// overridden per theme and by the site's themes/<name>/i18n/), as js_<namespace>_<key>. The build
// writes the page language's table into assets/kbgen/strings/<lang>.js, a classic script loaded
// before the bundle, which stores it in globalThis.__kbgenStrings[lang]; widgets carry theirs in
// their own script. A module asks for its namespace: `const t = uiText('chat', lang); t('open')`.

// t(key, values) over per-language tables ({en: {...}, ja: {...}}). With a number `n`, the
// language's plural form wins when the table has one: "votes_one" for n = 1 in English
// ("1 vote"); Japanese has no plural forms, so "{n} 票" serves every number.
export function translator(tables, lang) {
  const table = tables[lang] || tables.en || {};
  const english = tables.en || {};
  let plurals = null;
  try { plurals = new Intl.PluralRules(lang); } catch (error) { plurals = new Intl.PluralRules('en'); }
  const lookup = (key) => table[key] ?? english[key];
  return (key, values = {}) => {
    let text;
    if (typeof values.n === 'number') {
      const form = `${key}_${plurals.select(values.n)}`;
      text = table[form] ?? (table[key] === undefined ? english[form] : undefined);
    }
    text = text ?? lookup(key);
    if (text === undefined) {
      missing(key);
      text = key;
    }
    return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
  };
}

const reported = new Set();
function missing(key) {
  // shown to the reader as the bare key: say so once, so tests and theme authors notice
  if (reported.has(key)) return;
  reported.add(key);
  if (typeof console !== 'undefined') console.warn(`kbgen: no UI string "${key}"`);
}

// Every loaded language's table: {lang: {"<namespace>_<key>": text}}.
export function loadedStrings() {
  return globalThis.__kbgenStrings || {};
}

// Adds tables (as the strings script does): for widgets and node tests.
export function provideStrings(lang, table) {
  const all = (globalThis.__kbgenStrings = globalThis.__kbgenStrings || {});
  all[lang] = { ...(all[lang] || {}), ...table };
}

export function namespaceTable(namespace, table) {
  const prefix = `${namespace}_`;
  const own = {};
  for (const [key, value] of Object.entries(table || {})) if (key.startsWith(prefix)) own[key.slice(prefix.length)] = value;
  return own;
}

// t for one module's strings in `lang`; the build has merged English into every language's table,
// so a language without its own file still reads English.
export function uiText(namespace, lang) {
  const all = loadedStrings();
  const found = all[lang] ? lang : (all.en ? 'en' : Object.keys(all)[0]);
  const table = namespaceTable(namespace, all[found]);
  return translator({ en: table, [lang]: table }, found ? lang : 'en');
}
