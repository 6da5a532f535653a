// i18n.js — picks the interface language (bokmål, Swedish, English
// fallback) and formats strings. Owned by the UI helper.
//
// The language is chosen from the browser's preferences (navigator.languages)
// unless the user picked one with the switch; nn and no map to bokmål because
// that is the written standard the plans in the seeds use and we have no
// nynorsk strings. Pure functions, so node --test covers them.
import en from './locales/en.js';
import nb from './locales/nb.js';
import sv from './locales/sv.js';
import reviewEn from './locales/review-en.js';
import reviewNb from './locales/review-nb.js';
import reviewSv from './locales/review-sv.js';
import historyEn from './locales/history-en.js';
import historyNb from './locales/history-nb.js';
import historySv from './locales/history-sv.js';

export const LANGUAGES = ['nb', 'sv', 'en'];
// The review panel's and the history view's strings live in files of their
// own (locales/review-*, locales/history-*).
const TABLES = { nb: { ...nb, ...reviewNb, ...historyNb }, sv: { ...sv, ...reviewSv, ...historySv },
  en: { ...en, ...reviewEn, ...historyEn } };

// The first supported language in the preference list, else English.
export function chooseLanguage(preferences) {
  for (const tag of preferences || []) {
    const primary = String(tag).toLowerCase().split(/[-_]/)[0];
    if (primary === 'nb' || primary === 'no' || primary === 'nn') return 'nb';
    if (primary === 'sv') return 'sv';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

export function format(template, params) {
  return template.replace(/\{(\w+)\}/g, (m, name) =>
    params && params[name] !== undefined ? String(params[name]) : m);
}

// A translator for `lang`: t(key, params). Unknown keys fall back to English,
// then to the key itself (visible, so a missing string is noticed).
export function translator(lang) {
  const table = TABLES[lang] || TABLES.en;
  const t = (key, params) => {
    const s = table[key] ?? TABLES.en[key];
    return s === undefined ? key : format(s, params);
  };
  t.lang = TABLES[lang] ? lang : 'en';
  t.has = (key) => key in table || key in TABLES.en;
  // Numbers as the language writes them (comma decimals in nb and sv).
  t.number = (n) => new Intl.NumberFormat(t.lang === 'en' ? 'en-GB' : t.lang,
    { maximumFractionDigits: 2 }).format(n);
  return t;
}

export function localeKeys(lang) {
  return Object.keys(TABLES[lang] || {});
}
