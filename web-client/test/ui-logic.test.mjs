// Tests of the browser client's pure UI logic (no DOM, no wasm):
//   node --test web-client/test/ui-logic.test.mjs
// i18n choice, numbering, the ownership mirror, outline moves, table
// totals, value type checks, textarea diff → edit ops, caret transforms.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { chooseLanguage, translator, localeKeys, format } from '../app/js/i18n.js';
import { displayNumber, letters } from '../app/js/numbering.js';
import { indexTree, canEditNode, canEditField, canMove, effectiveOwner, idKey }
  from '../app/js/permissions.js';
import { diffText, applyEdit, transformPos, rebaseEdit } from '../app/js/ui/textdiff.js';
import { parseNumber, parseValue, valueFits, isValidDate } from '../app/js/ui/values.js';
import { regionalTotals, municipalityRows } from '../app/js/ui/tablemath.js';
import { planMove, planDrop, childKinds } from '../app/js/ui/treeops.js';
import { normalizeSchema, allows } from '../app/js/ui/schema.js';

describe('i18n', () => {
  test('chooses bokmål for nb, no and nn', () => {
    assert.equal(chooseLanguage(['nb-NO', 'en']), 'nb');
    assert.equal(chooseLanguage(['no']), 'nb');
    assert.equal(chooseLanguage(['nn-NO']), 'nb');
  });
  test('chooses Swedish for sv, English otherwise', () => {
    assert.equal(chooseLanguage(['sv-SE', 'nb']), 'sv');
    assert.equal(chooseLanguage(['de-DE', 'fr']), 'en');
    assert.equal(chooseLanguage(['de-DE', 'sv']), 'sv');
    assert.equal(chooseLanguage([]), 'en');
    assert.equal(chooseLanguage(undefined), 'en');
  });
  test('translates with fallback to English and parameters', () => {
    const nb = translator('nb');
    assert.equal(nb('editor.undo'), 'Angre');
    assert.equal(translator('sv')('editor.undo'), 'Ångra');
    assert.equal(nb('app.name'), 'Samplan');  // only in en.js
    assert.equal(nb('conn.syncing', { n: 3 }), 'Synkroniserer 3 endringer…');
    assert.equal(nb('no.such.key'), 'no.such.key');
    assert.equal(format('{a}-{b}', { a: 1 }), '1-{b}');
  });
  test('nb and sv translate every key English has that users see', () => {
    const en = new Set(localeKeys('en'));
    for (const lang of ['nb', 'sv']) {
      const keys = new Set(localeKeys(lang));
      const missing = [...en].filter((k) => !keys.has(k) && k !== 'app.name' &&
        !k.startsWith('lang.') && k !== 'presence.none');
      assert.deepEqual(missing, [], `${lang} lacks ${missing.join(', ')}`);
      for (const k of keys) assert.ok(en.has(k), `${lang} has extra key ${k}`);
    }
  });
});

describe('numbering', () => {
  test('measures are lettered as in the seeds, others keep the number', () => {
    assert.equal(displayNumber('goal', '1'), '1');
    assert.equal(displayNumber('subgoal', '1.2'), '1.2');
    assert.equal(displayNumber('measure', '1.1'), 'a)');
    assert.equal(displayNumber('measure', '2.3'), 'c)');
    assert.equal(displayNumber('measure', '1.2.27'), 'aa)');
    assert.equal(displayNumber('footnote', '1'), '');
    assert.equal(displayNumber('indicator', '2'), '2');
    assert.equal(letters(26), 'z');
    assert.equal(letters(28), 'ab');
  });
});

// A state tree in the shape of doc.state() / GET /api/plans/{id}.
function node(id, kind, fields = {}, children = []) {
  const f = {};
  for (const [k, v] of Object.entries(fields)) f[k] = { type: 'string_list', value: v };
  return { id, kind, number: '', fields: f, texts: {}, children };
}
const tree = node([0, 1], 'plan', {}, [
  node([2, 10], 'goal', {}, [
    node([2, 11], 'subgoal'),
    node([2, 12], 'measure', { owner: ['Vestby'] }),
    node([2, 13], 'measure', { owner: ['Moss'] }, [node([2, 30], 'text_block')]),
    node([2, 14], 'measure'),
  ]),
  node([2, 20], 'goal', { owner: ['Moss', 'Råde'] }, [
    node([2, 21], 'measure', { owner: [] }),
  ]),
]);
const index = indexTree(tree);
const ola = { role: 'editor', municipality: 'Vestby' };
const anne = { role: 'editor', municipality: 'Moss' };

describe('permissions (mirror of the server rule)', () => {
  test('effective owner is inherited unless the node has a non-empty own owner', () => {
    assert.deepEqual(effectiveOwner(index, '2:12'), ['Vestby']);
    assert.deepEqual(effectiveOwner(index, '2:30'), ['Moss']);
    assert.deepEqual(effectiveOwner(index, '2:14'), []);
    assert.deepEqual(effectiveOwner(index, '2:21'), ['Moss', 'Råde']);  // empty own = inherit
  });
  test('editors edit joint parts and their municipality\'s parts only', () => {
    assert.equal(canEditNode(ola, index, '2:12').ok, true);
    assert.equal(canEditNode(ola, index, '2:14').ok, true);
    const r = canEditNode(ola, index, '2:13');
    assert.equal(r.ok, false);
    assert.deepEqual(r.reason, { key: 'ro.owner', params: { owners: 'Moss', municipality: 'Vestby' } });
    assert.equal(canEditNode(anne, index, '2:21').ok, true);
    assert.equal(canEditNode(ola, index, '2:21').ok, false);
  });
  test('read-only roles and the owner field', () => {
    for (const role of ['reviewer', 'auditor', 'viewer']) {
      const r = canEditNode({ role, municipality: 'Moss' }, index, '2:14');
      assert.equal(r.ok, false);
      assert.equal(r.reason.key, 'ro.role');
    }
    assert.equal(canEditField(ola, index, '2:14', 'owner').reason.key, 'ro.ownerField');
    assert.equal(canEditField({ role: 'admin' }, index, '2:13', 'owner').ok, true);
    assert.equal(canEditField(ola, index, '2:14', 'status').ok, true);
  });
  test('a move needs the whole subtree and both parents', () => {
    assert.equal(canMove(ola, index, '2:14', '2:10').ok, true);
    assert.equal(canMove(ola, index, '2:13', '2:10').ok, false);  // owned by Moss
    assert.equal(canMove(ola, index, '2:14', '2:20').ok, false);  // into Moss/Råde's goal
    assert.equal(canMove(anne, index, '2:10', null).ok, false);   // carries Vestby's measure
    assert.equal(canMove(ola, index, '0:1', null).ok, false);     // the root
  });
});

describe('outline moves', () => {
  const schema = normalizeSchema({
    plan: { fields: {}, texts: ['title'], tables: [], children: ['goal', 'chapter', 'text_block'] },
    goal: { fields: {}, texts: ['title'], tables: [], children: ['subgoal', 'measure', 'text_block'] },
    subgoal: { fields: {}, texts: ['title'], tables: [], children: ['measure', 'text_block'] },
    measure: { fields: {}, texts: ['title'], tables: [], children: ['text_block'] },
    text_block: { fields: {}, texts: ['body'], tables: [], children: [] },
  });
  const ok = (p, c) => allows(schema, p, c);
  test('up and down count indexes without the moved node', () => {
    assert.deepEqual(planMove(index, '2:12', 'up', ok), { parent: '2:10', index: 0 });
    assert.deepEqual(planMove(index, '2:12', 'down', ok), { parent: '2:10', index: 2 });
    assert.equal(planMove(index, '2:11', 'up', ok), null);
    assert.equal(planMove(index, '2:14', 'down', ok), null);
  });
  test('indent into the previous sibling only where the schema allows', () => {
    // measure 2:12 into subgoal 2:11 (allowed), as its last child
    assert.deepEqual(planMove(index, '2:12', 'indent', ok), { parent: '2:11', index: 0 });
    // measure 2:14 under measure 2:13: a measure cannot hold a measure
    assert.equal(planMove(index, '2:14', 'indent', ok), null);
    assert.equal(planMove(index, '2:10', 'indent', ok), null);  // first child
  });
  test('outdent becomes the parent\'s next sibling', () => {
    assert.deepEqual(planMove(index, '2:30', 'outdent', ok), { parent: '2:10', index: 3 });
    assert.equal(planMove(index, '2:12', 'outdent', ok), null);  // plan cannot hold a measure
  });
  test('drops', () => {
    assert.deepEqual(planDrop(index, '2:14', '2:11', 'before', ok), { parent: '2:10', index: 0 });
    assert.deepEqual(planDrop(index, '2:11', '2:14', 'after', ok), { parent: '2:10', index: 3 });
    assert.deepEqual(planDrop(index, '2:21', '2:11', 'inside', ok), { parent: '2:11', index: 0 });
    assert.equal(planDrop(index, '2:10', '2:30', 'inside', ok), null);  // own subtree
    assert.equal(planDrop(index, '2:10', '2:11', 'inside', ok), null);
    assert.equal(planDrop(index, '2:12', '2:20', 'before', ok), null);  // plan ∌ measure
  });
  test('child kinds follow the schema, most specific content first', () => {
    assert.deepEqual(childKinds(schema.get('goal')), ['subgoal', 'measure', 'text_block']);
    assert.equal(idKey({ replica: 2, counter: 5 }), '2:5');
  });
});

describe('indicator table totals', () => {
  const table = {
    columns: [{ id: [2, 1], header: { type: 'string', value: '2024, innbyggere' } },
      { id: [2, 2], header: { type: 'string', value: '2024, andel i arbeid (%)' } },
      { id: [2, 3], header: null }],
    rows: [
      { id: [2, 4], header: { type: 'string', value: 'Moss' },
        cells: [{ type: 'number', value: 31123 }, { type: 'number', value: 73.9 }, null] },
      { id: [2, 5], header: { type: 'string', value: 'Vestby' },
        cells: [{ type: 'number', value: 11385 }, { type: 'number', value: 78.9 }, { type: 'string', value: 'x' }] },
      { id: [2, 6], header: { type: 'string', value: 'Samlet' },
        cells: [{ type: 'number', value: 1 }, { type: 'number', value: 1 }, null] },
    ],
  };
  test('sums municipality rows only, means for rate columns, none for text', () => {
    const mun = ['Moss', 'Vestby', 'Råde', 'Våler'];
    assert.deepEqual(municipalityRows(table, mun).map((r) => r.header.value), ['Moss', 'Vestby']);
    assert.deepEqual(regionalTotals(table, mun), [
      { value: 42508, mode: 'sum' }, { value: 76.4, mode: 'mean' }, { value: null, mode: 'sum' }]);
  });
  test('no municipality rows → no totals', () => {
    assert.deepEqual(regionalTotals(table, []).map((t) => t.value), [null, null, null]);
  });
});

describe('value types', () => {
  test('numbers typed the Nordic or English way', () => {
    assert.deepEqual(parseNumber('73,9'), { ok: true, value: 73.9 });
    assert.deepEqual(parseNumber('1 858 005'), { ok: true, value: 1858005 });
    assert.deepEqual(parseNumber('1\u00a0234,5'), { ok: true, value: 1234.5 });
    assert.deepEqual(parseNumber('1,234.5'), { ok: true, value: 1234.5 });
    assert.deepEqual(parseNumber('−3'), { ok: true, value: -3 });
    assert.deepEqual(parseNumber(''), { ok: true, value: null });
    for (const bad of ['abc', '12a', '1,2,3', '--1', 'Infinity', '1e999']) {
      assert.equal(parseNumber(bad).ok, false, bad);
    }
  });
  test('fields by schema type', () => {
    assert.deepEqual(parseValue('int', '2026'), { ok: true, value: 2026 });
    assert.equal(parseValue('int', '20,5').ok, false);
    assert.deepEqual(parseValue('date', '2026-02-28'), { ok: true, value: '2026-02-28' });
    assert.equal(parseValue('date', '2026-02-30').ok, false);
    assert.equal(isValidDate('2024-02-29'), true);
    assert.deepEqual(parseValue('string_list', 'Moss, Råde'), { ok: true, value: ['Moss', 'Råde'] });
    assert.deepEqual(parseValue('number', ' '), { ok: true, value: null });
    assert.equal(valueFits('int', 1.5), false);
    assert.equal(valueFits('string_list', ['Moss']), true);
    assert.equal(valueFits('date', '2026-13-01'), false);
    assert.equal(valueFits('number', null), true);
  });
});

describe('textarea diff → edit', () => {
  const roundTrip = (a, b, caret) => {
    const d = diffText(a, b, caret);
    assert.equal(applyEdit(a, d), b);
    return d;
  };
  test('typing, deleting, replacing', () => {
    assert.deepEqual(roundTrip('Mål', 'Måls', 4), { pos: 3, del: 0, ins: 's' });
    assert.deepEqual(roundTrip('Mål', 'Ml', 1), { pos: 1, del: 1, ins: '' });
    assert.deepEqual(roundTrip('abcdef', 'abXYef', 4), { pos: 2, del: 2, ins: 'XY' });
    assert.equal(diffText('same', 'same'), null);
  });
  test('the caret decides between repeated letters', () => {
    assert.deepEqual(roundTrip('aa', 'aaa', 1), { pos: 0, del: 0, ins: 'a' });
    assert.deepEqual(roundTrip('aa', 'aaa', 3), { pos: 2, del: 0, ins: 'a' });
    assert.deepEqual(roundTrip('aaa', 'aa', 1), { pos: 1, del: 1, ins: '' });
    assert.deepEqual(roundTrip('aaa', 'aa'), { pos: 0, del: 1, ins: '' });
  });
  test('never splits a surrogate pair (emoji are one code point)', () => {
    // 😀 = \ud83d\ude00, 😁 = \ud83d\ude01: same high surrogate
    const d = roundTrip('x😀y', 'x😁y', 3);
    assert.deepEqual(d, { pos: 1, del: 2, ins: '😁' });
    const d2 = roundTrip('😀😀', '😀', 2);
    assert.equal(d2.del, 2);
    assert.equal(d2.pos % 2, 0);
  });
  test('IME and dead keys: composed æ ø å ä ö replace what was composed', () => {
    // dead key ¨ shown during composition, then ä
    assert.deepEqual(roundTrip('Vale', 'Väle', 2), { pos: 1, del: 1, ins: 'ä' });
    assert.deepEqual(roundTrip('bl', 'blåbær', 6), { pos: 2, del: 0, ins: 'åbær' });
  });
});

describe('caret transform', () => {
  test('positions before, inside and after an edit', () => {
    const e = { pos: 5, del: 3, ins: 'XY' };
    assert.equal(transformPos(2, e), 2);
    assert.equal(transformPos(6, e), 5);
    assert.equal(transformPos(6, e, 'after'), 7);
    assert.equal(transformPos(8, e), 7);
    assert.equal(transformPos(10, e), 9);
  });
  test('an insertion exactly at the caret stays after it (stick before)', () => {
    const ins = { pos: 4, del: 0, ins: 'abc' };
    assert.equal(transformPos(4, ins), 4);
    assert.equal(transformPos(4, ins, 'after'), 7);
    assert.equal(transformPos(3, ins), 3);
  });
  test('a local edit rebased over a remote one (composition during remote typing)', () => {
    const base = 'Planen for Moss';
    const remote = { pos: 0, del: 0, ins: 'Ny ' };         // remote prepended
    const local = { pos: 11, del: 4, ins: 'Råde' };         // local replaced Moss
    const r = rebaseEdit(local, remote);
    assert.equal(applyEdit(applyEdit(base, remote), r), 'Ny Planen for Råde');
    // the remote edit deleted part of what the local one deletes
    const remote2 = { pos: 10, del: 3, ins: '' };           // " Mo" gone
    const r2 = rebaseEdit({ pos: 11, del: 4, ins: 'Våler' }, remote2);
    assert.equal(applyEdit(applyEdit(base, remote2), r2), 'Planen forVåler');
  });
});

test('diffText: the caret shortcut gives what the general walk gives', async () => {
  const { diffText, diffWalk } = await import('../app/js/ui/textdiff.js');
  // A small alphabet (repeats make ties) with an emoji (surrogate pairs).
  const alphabet = ['a', 'a', 'b', 'æ', '\n', '😀'];
  let seed = 20261128;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const word = (n) => Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('');
  for (let i = 0; i < 3000; i++) {
    const before = word(rand(12));
    const units = [...before];
    const at = rand(units.length + 1);
    let after;
    let caret;
    if (rand(2) === 0 || units.length === 0) {
      const ins = word(1 + rand(3));
      after = units.slice(0, at).join('') + ins + units.slice(at).join('');
      caret = units.slice(0, at).join('').length + ins.length;
    } else {
      const n = 1 + rand(Math.min(3, units.length - Math.min(at, units.length - 1)));
      const from = Math.min(at, units.length - 1);
      after = units.slice(0, from).join('') + units.slice(from + n).join('');
      caret = units.slice(0, from).join('').length;
    }
    assert.deepEqual(diffText(before, after, caret), diffWalk(before, after, caret),
                     JSON.stringify({ before, after, caret }));
  }
});
