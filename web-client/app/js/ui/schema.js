// ui/schema.js — reads doc.schema() into one shape the UI uses:
// Map kind → {fields: {name: type}, texts: [name], tables: [name],
// children: [kind]}. Owned by the UI helper. Tolerant of the bindings giving
// sets as arrays or objects, and kinds as an object or an array.
export function normalizeSchema(raw) {
  const out = new Map();
  const kinds = raw && raw.kinds ? raw.kinds : raw;
  const entries = Array.isArray(kinds)
    ? kinds.map((k) => [k.name, k])
    : Object.entries(kinds || {});
  const names = (x) => (Array.isArray(x) ? x.map((v) => (typeof v === 'string' ? v : v.name))
    : x ? Object.keys(x) : []);
  for (const [name, k] of entries) {
    let fields = {};
    if (Array.isArray(k.fields)) for (const f of k.fields) fields[f.name] = f.type;
    else fields = { ...(k.fields || {}) };
    out.set(name, {
      name,
      fields,
      texts: names(k.texts),
      tables: names(k.tables),
      children: names(k.children),
    });
  }
  return out;
}

export function allows(schema, parentKind, childKind) {
  const k = schema.get(parentKind);
  return !!k && k.children.includes(childKind);
}
