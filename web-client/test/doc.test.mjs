// PlanDoc (web-client/app/js/doc.js) over the wasm core: local edits give wire
// ops that another replica applies to the same state; anchors, id-based
// deletes, tables and the schema. Build first: scripts/build-wasm.sh.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import Factory from '../../build-wasm/samplan_core.mjs';
import { loadCore, PlanDoc } from '../app/js/doc.js';

const core = await loadCore(Factory);
const ROOT = PlanDoc.root();
const A = 2 ** 32 + 1;
const B = 2 ** 32 + 2;

function pair() {
  const a = PlanDoc.create(core, A);
  const b = PlanDoc.create(core, B);
  return [a, b];
}

test('local edits return wire ops that converge another replica', () => {
  const [a, b] = pair();
  const { id: goal, ops: created } = a.createNode(ROOT, 0, 'goal');
  assert.equal(created.length, 1);
  assert.equal(created[0].kind, 'create_node');
  assert.deepEqual(created[0].id, goal);
  const typed = a.insertText(goal, 'title', 0, 'Grønn 😀 mobilitet');
  assert.equal(typed[0].kind, 'insert_text');
  a.setField(goal, 'target_year', 2030);
  b.applyRemote(a.opsSince(null));
  assert.equal(b.text(goal, 'title'), 'Grønn 😀 mobilitet');
  assert.equal(b.field(goal, 'target_year').value, 2030);
  assert.deepEqual(b.state().root, a.state().root);
  assert.equal(b.canonicalDump(), a.canonicalDump());
  // UTF-16 positions: delete the emoji (2 units) after "Grønn ".
  a.deleteText(goal, 'title', 6, 2);
  assert.equal(a.text(goal, 'title'), 'Grønn  mobilitet');
  b.applyRemote(a.ownOpsAfter(b.version().find(([r]) => r === A)[1]));
  assert.equal(b.text(goal, 'title'), 'Grønn  mobilitet');
  a.dispose(); b.dispose();
});

test('malformed remote ops throw and change nothing', () => {
  const [a] = pair();
  const before = a.canonicalDump();
  assert.throws(() => a.applyRemote([{ id: [5, 1], kind: 'nope' }]), /ops\[0\]/);
  assert.throws(() => a.applyRemote([{ id: 'x' }]));
  assert.equal(a.canonicalDump(), before);
  a.dispose();
});

test('anchors follow concurrent edits; deleteTextIds spares others\' text', () => {
  const [a, b] = pair();
  const { id } = a.createNode(ROOT, 0, 'goal');
  const mine = a.insertText(id, 'title', 0, 'abc');
  b.applyRemote(a.opsSince(null));
  const caret = b.textAnchor(id, 'title', 2, 'before');  // before 'c'
  b.insertText(id, 'title', 1, 'XY');                     // aXYbc
  assert.equal(b.resolve(caret).pos16, 4);
  a.applyRemote(b.ownOpsAfter(0));
  assert.equal(a.text(id, 'title'), 'aXYbc');
  // Undo of a's typing: only a's characters go.
  const [r, c] = mine[0].id;
  a.deleteTextIds(id, 'title', [[r, c, 3]]);
  assert.equal(a.text(id, 'title'), 'XY');
  const gone = b.resolve(caret);
  b.applyRemote(a.ownOpsAfter(0).filter((op) => op.kind === 'delete_text'));
  assert.equal(b.text(id, 'title'), 'XY');
  assert.equal(b.resolve(caret).charDeleted, true);
  assert.equal(gone.charDeleted, false);
  a.dispose(); b.dispose();
});

test('tables: lines, headers and numeric cells', () => {
  const [a, b] = pair();
  const { id } = a.createNode(ROOT, 0, 'indicator');
  const { id: col } = a.insertTableLine(id, 'values', 'column', 0);
  const { id: row } = a.insertTableLine(id, 'values', 'row', 0);
  a.setCell(id, 'values', null, col, '2024');
  a.setCell(id, 'values', row, null, 'Moss');
  a.setCell(id, 'values', row, col, 52671);
  b.applyRemote(a.opsSince(null));
  const t = b.state().root.children[0].tables.values;
  assert.equal(t.columns[0].header.value, '2024');
  assert.equal(t.rows[0].header.value, 'Moss');
  assert.deepEqual(t.rows[0].cells[0], { type: 'number', value: 52671 });
  assert.throws(() => a.insertTableLine(id, 'values', 'diagonal', 0), /axis/);
  a.dispose(); b.dispose();
});

test('schema lists kinds, fields, texts and allowed children', () => {
  const [a] = pair();
  const s = a.schema();
  assert.equal(s.measure.fields.deadline, 'date');
  assert.ok(s.goal.texts.includes('title'));
  assert.ok(s.plan.children.includes('goal'));
  assert.deepEqual(s.indicator.tables, ['values']);
  a.dispose();
});

test('a snapshot reloads with the same replica id and keeps counting', () => {
  const [a] = pair();
  const { id } = a.createNode(ROOT, 0, 'goal');
  a.insertText(id, 'title', 0, 'Mål');
  const counter = a.counter;
  const c = PlanDoc.fromSnapshot(core, a.snapshot(), A);
  assert.equal(c.counter, counter);
  const more = c.insertText(id, 'title', 3, '!');
  assert.equal(more[0].id[1], counter + 1);
  a.applyRemote(more);
  assert.equal(a.text(id, 'title'), 'Mål!');
  a.dispose(); c.dispose();
});

test('a long paste becomes ops small enough for one message each', () => {
  const [a, b] = pair();
  const { id } = a.createNode(ROOT, 0, 'goal');
  // 100k characters with an emoji on a chunk boundary (a surrogate pair).
  const text = 'x'.repeat(32767) + '😀' + 'æ'.repeat(70000);
  const ops = a.insertText(id, 'body', 0, text);
  assert.ok(ops.length >= 4, `${ops.length} ops`);
  for (const op of ops) {
    assert.ok(op.text.length <= 32768, `op of ${op.text.length} units`);
    assert.ok(JSON.stringify(op).length < 1 << 20);
  }
  assert.equal(a.text(id, 'body'), text);
  b.applyRemote(a.opsSince(null));
  assert.equal(b.text(id, 'body'), text);
  a.dispose(); b.dispose();
});
