// Tests of UndoManager (web-client/app/js/undo.js) on the real wasm core
// through doc.js: two docs exchange ops the way the server would relay them,
// and undo on one undoes only its own edits.
//   node --test web-client/test/undo.test.mjs
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UndoManager } from '../app/js/undo.js';
import { loadTestCore } from './helpers/core.mjs';

const { core, PlanDoc } = await loadTestCore();
const A = 2 ** 32 + 101;
const B = 2 ** 32 + 102;
const ROOT = [0, 1];

// Two replicas with one chapter (and a goal in it), linked both ways: every
// local edit of one is applied to the other at once.
function pair() {
  const a = PlanDoc.create(core, A);
  const b = PlanDoc.create(core, B);
  const { id: chapter } = a.createNode(ROOT, 0, 'chapter');
  const { id: goal } = a.createNode(chapter, 0, 'goal');
  b.applyRemote(a.ownOpsAfter(0));
  a.on('change', (e) => { if (e.local) b.applyRemote(e.ops); });
  b.on('change', (e) => { if (e.local) a.applyRemote(e.ops); });
  let t = 0;
  const clock = { now: () => t, advance: (ms) => { t += ms; } };
  const undo = new UndoManager(a, { now: clock.now });
  return { a, b, chapter, goal, undo, clock, dispose: () => { undo.destroy(); a.dispose(); b.dispose(); } };
}

// Types `text` one character at a time at pos16, `gap` ms apart.
function type(doc, node, field, pos16, text, clock, gap = 100) {
  for (const ch of text) {
    doc.insertText(node, field, pos16, ch);
    pos16 += ch.length;
    clock.advance(gap);
  }
}

describe('UndoManager', () => {
  test('a typed word is one step; a pause starts the next', () => {
    const { a, b, chapter, undo, clock, dispose } = pair();
    type(a, chapter, 'title', 0, 'Grønn', clock);
    clock.advance(2000);
    type(a, chapter, 'title', 5, ' vekst', clock);
    assert.equal(b.text(chapter, 'title'), 'Grønn vekst');
    assert.equal(undo.undoStack.length, 2);
    assert.ok(undo.undo());
    assert.equal(a.text(chapter, 'title'), 'Grønn');
    assert.equal(b.text(chapter, 'title'), 'Grønn', 'the undo is an edit like any other');
    assert.ok(undo.undo());
    assert.equal(a.text(chapter, 'title'), '');
    assert.equal(undo.canUndo, false);
    assert.equal(undo.undo(), false);
    assert.ok(undo.redo());
    assert.ok(undo.redo());
    assert.equal(b.text(chapter, 'title'), 'Grønn vekst');
    assert.equal(undo.canRedo, false);
    dispose();
  });

  test('undo removes only this user\'s characters, even with others typed in between', () => {
    const { a, b, chapter, undo, clock, dispose } = pair();
    type(a, chapter, 'title', 0, 'Mål', clock);
    // Anne (b) types inside ola's word before ola undoes.
    b.insertText(chapter, 'title', 1, 'XY');
    assert.equal(a.text(chapter, 'title'), 'MXYål');
    undo.undo();
    assert.equal(a.text(chapter, 'title'), 'XY');
    assert.equal(b.text(chapter, 'title'), 'XY');
    undo.redo();
    assert.equal(a.text(chapter, 'title'), 'MXYål', 'each run back where it was');
    assert.equal(b.text(chapter, 'title'), 'MXYål');
    dispose();
  });

  test('remote edits are never undone', () => {
    const { a, b, chapter, undo, dispose } = pair();
    b.insertText(chapter, 'title', 0, 'Annes tekst');
    b.setField(chapter, 'status', 'active');
    assert.equal(undo.canUndo, false);
    assert.equal(undo.undo(), false);
    assert.equal(a.text(chapter, 'title'), 'Annes tekst');
    assert.equal(a.field(chapter, 'status').value, 'active');
    dispose();
  });

  test('undoing a delete re-inserts the text where it was, after others\' edits', () => {
    const { a, b, chapter, undo, clock, dispose } = pair();
    a.insertText(chapter, 'title', 0, 'Blåbærsyltetøy på Råde');
    clock.advance(1000);
    a.deleteText(chapter, 'title', 3, 11);   // "bærsyltetøy"
    assert.equal(a.text(chapter, 'title'), 'Blå på Råde');
    b.insertText(chapter, 'title', 0, '¡');  // before the place
    b.insertText(chapter, 'title', b.text(chapter, 'title').length, '!');
    undo.undo();
    assert.equal(a.text(chapter, 'title'), '¡Blåbærsyltetøy på Råde!');
    assert.equal(b.text(chapter, 'title'), a.text(chapter, 'title'));
    undo.redo();
    assert.equal(a.text(chapter, 'title'), '¡Blå på Råde!');
    dispose();
  });

  test('an insert undone after its deletion was undone removes the restored text too', () => {
    const { a, chapter, undo, clock, dispose } = pair();
    type(a, chapter, 'title', 0, 'abc', clock);
    clock.advance(1000);
    a.deleteText(chapter, 'title', 1, 1);
    assert.equal(a.text(chapter, 'title'), 'ac');
    undo.undo();
    assert.equal(a.text(chapter, 'title'), 'abc');
    undo.undo();
    assert.equal(a.text(chapter, 'title'), '');
    undo.redo();
    assert.equal(a.text(chapter, 'title'), 'abc');
    dispose();
  });

  test('field changes restore the value they replaced', () => {
    const { a, b, goal, undo, clock, dispose } = pair();
    b.setField(goal, 'status', 'planned');
    a.setField(goal, 'status', 'active');
    clock.advance(1000);
    a.setField(goal, 'target_year', 2030);
    undo.undo();
    assert.equal(a.field(goal, 'target_year').value, null);
    undo.undo();
    assert.equal(a.field(goal, 'status').value, 'planned');
    assert.equal(b.field(goal, 'status').value, 'planned');
    undo.redo();
    assert.equal(b.field(goal, 'status').value, 'active');
    dispose();
  });

  test('create, delete and move of nodes are undone and redone', () => {
    const { a, b, chapter, goal, undo, clock, dispose } = pair();
    const { id: second } = a.createNode(chapter, 1, 'goal');
    clock.advance(1000);
    assert.deepEqual(a.children(chapter), [goal, second]);
    undo.undo();
    assert.deepEqual(a.children(chapter), [goal]);
    assert.ok(b.isDeleted(second));
    undo.redo();
    assert.deepEqual(b.children(chapter), [goal, second]);

    a.moveNode(second, chapter, 0);
    clock.advance(1000);
    assert.deepEqual(a.children(chapter), [second, goal]);
    undo.undo();
    assert.deepEqual(b.children(chapter), [goal, second]);

    a.deleteNode(goal);
    clock.advance(1000);
    assert.deepEqual(a.children(chapter), [second]);
    undo.undo();
    assert.deepEqual(b.children(chapter), [goal, second], 'back at its former index');
    assert.equal(b.isDeleted(goal), false);
    dispose();
  });

  test('a cell change is undone to the previous value', () => {
    const { a, b, chapter, undo, clock, dispose } = pair();
    const { id: ind } = a.createNode(chapter, 1, 'indicator');
    const { id: row } = a.insertTableLine(ind, 'values', 'row', 0);
    const { id: col } = a.insertTableLine(ind, 'values', 'column', 0);
    a.setCell(ind, 'values', row, col, 12);
    clock.advance(1000);
    a.setCell(ind, 'values', row, col, 15);
    undo.undo();
    const cells = () => b.state().root.children[0].children.find((n) => n.kind === 'indicator')
      .tables.values.rows[0].cells;
    assert.equal(cells()[0].value, 12);
    dispose();
  });

  test('a step that became impossible is skipped', () => {
    const { a, b, chapter, undo, clock, dispose } = pair();
    type(a, chapter, 'title', 0, 'kort', clock);
    clock.advance(1000);
    b.deleteText(chapter, 'title', 0, 4);   // anne deletes ola's word
    a.setField(chapter, 'status', 'active');
    clock.advance(1000);
    undo.undo();                            // the field
    assert.equal(a.field(chapter, 'status').value, null);
    assert.equal(undo.undo(), false, 'the insert has nothing left to delete');
    assert.equal(undo.canUndo, false);
    dispose();
  });
});
