// The review panel's pure logic (no DOM, no core): UTF-16 ↔ code point
// positions, mentions typed as @name, the mirrored review rights, which
// suggestions a bulk action takes, and values typed for the wire.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { utf16ToCodePoint, codePointToUtf16, codePointMapper, parseMentions, parseParty, partyIsMe, excerpt }
  from '../app/js/reviewtext.js';
import { canComment, canSuggest, canResolve, canEditComment, canDecide, canApprove, canResolveConflict }
  from '../app/js/reviewrights.js';
import { indexTree } from '../app/js/permissions.js';
import { bulkTargets } from '../app/js/ui/reviewsuggest.js';
import { inSubtree } from '../app/js/ui/reviewthreads.js';
import { typedValue } from '../app/js/doc.js';
import { translator } from '../app/js/i18n.js';

describe('positions', () => {
  test('UTF-16 and code points agree around astral characters', () => {
    const s = 'a😀b😀c';
    assert.equal(utf16ToCodePoint(s, 0), 0);
    assert.equal(utf16ToCodePoint(s, 1), 1);
    assert.equal(utf16ToCodePoint(s, 3), 2);   // after the first emoji
    assert.equal(utf16ToCodePoint(s, 2), 2);   // inside a pair counts it
    assert.equal(utf16ToCodePoint(s, 99), 5);
    for (let cp = 0; cp <= 5; cp++) assert.equal(utf16ToCodePoint(s, codePointToUtf16(s, cp)), cp);
    assert.equal(codePointToUtf16(s, 4), 6);
    const m = codePointMapper('plain');
    assert.equal(m(3), 3);
    assert.equal(m(10), 5);
  });
});

describe('mentions', () => {
  test('@name is a municipality when the plan has it, else a user; unique, in order', () => {
    const muns = ['Moss', 'Vestby', 'Råde'];
    assert.deepEqual(parseMentions('Hei @ola og @moss, se @Råde. Også @ola!', muns),
      ['user:ola', 'municipality:Moss', 'municipality:Råde']);
    assert.deepEqual(parseMentions('e-post ola@example.no er ingen nevning', muns), []);
    assert.deepEqual(parseMentions('', muns), []);
  });
  test('parties', () => {
    assert.deepEqual(parseParty('municipality:Moss'), { type: 'municipality', name: 'Moss' });
    assert.equal(parseParty('Moss'), null);
    assert.ok(partyIsMe('user:ola', { name: 'ola', municipality: 'Vestby' }));
    assert.ok(partyIsMe('municipality:Vestby', { name: 'ola', municipality: 'Vestby' }));
    assert.ok(!partyIsMe('municipality:Moss', { name: 'ola', municipality: 'Vestby' }));
  });
  test('excerpts cut on a word', () => {
    assert.equal(excerpt('kort'), 'kort');
    assert.equal(excerpt('en to tre fire fem seks', 12), 'en to tre…');
  });
});

// A plan: root (joint) → chapter owned by Moss → goal; a joint goal.
const P = (r, c) => [r, c];
const state = {
  root: { id: P(0, 1), kind: 'plan', fields: {}, children: [
    { id: P(2, 10), kind: 'chapter', fields: { owner: { type: 'string_list', value: ['Moss'] } }, children: [
      { id: P(2, 11), kind: 'goal', fields: {}, children: [] }] },
    { id: P(2, 20), kind: 'goal', fields: {}, children: [] }] },
};
const index = indexTree(state.root);
const per = { role: 'reviewer', name: 'per', municipality: '' };
const ola = { role: 'editor', name: 'ola', municipality: 'Vestby' };
const anne = { role: 'editor', name: 'anne', municipality: 'Moss' };
const vera = { role: 'viewer', name: 'vera', municipality: '' };
const admin = { role: 'admin', name: 'arne', municipality: '' };

describe('review rights', () => {
  test('viewers read; reviewers comment and suggest; editors also resolve', () => {
    assert.ok(!canComment(vera).ok);
    assert.ok(!canSuggest({ role: 'auditor' }).ok);
    assert.ok(canComment(per).ok && canSuggest(per).ok);
    assert.ok(!canResolve(per).ok);
    assert.ok(canResolve(ola).ok && canResolve(admin).ok);
  });
  test('only the author edits a comment', () => {
    const c = { author: { user: 'per' }, deleted: false };
    assert.ok(canEditComment(per, c).ok);
    assert.ok(!canEditComment(ola, c).ok);
    assert.ok(!canEditComment(per, { ...c, deleted: true }).ok);
  });
  test('accepting follows ownership of the suggested change', () => {
    const inMoss = { kind: 'text', node: P(2, 11), field: 'title' };
    const joint = { kind: 'field', node: P(2, 20), field: 'deadline' };
    assert.ok(!canDecide(per, index, joint).ok, 'a reviewer never decides');
    assert.ok(canDecide(ola, index, joint).ok);
    assert.ok(!canDecide(ola, index, inMoss).ok, 'Vestby may not accept into Moss\'s chapter');
    assert.ok(canDecide(anne, index, inMoss).ok);
    assert.ok(!canDecide(anne, index, { kind: 'field', node: P(2, 11), field: 'owner' }).ok, 'owner is admin only');
    assert.ok(!canDecide(ola, index, { kind: 'move', node: P(2, 20), parent: P(2, 10) }).ok, 'into Moss\'s chapter');
    assert.ok(canDecide(ola, index, { kind: 'node', parent: P(2, 20) }).ok);
    assert.ok(!canDecide(ola, index, { kind: 'delete', node: P(2, 11) }).ok);
    assert.ok(!canDecide(ola, index, { kind: 'text', node: P(9, 9), field: 'title' }).ok, 'gone');
    assert.ok(canDecide(admin, index, inMoss).ok);
  });
  test('approving: own municipality, on owned or joint parts', () => {
    const chapter = { node: P(2, 10), owners: ['Moss'] };
    const jointGoal = { node: P(2, 20), owners: ['Moss', 'Vestby'] };
    assert.ok(canApprove(anne, index, chapter, 'Moss').ok);
    assert.ok(!canApprove(anne, index, chapter, 'Vestby').ok, 'not for another municipality');
    assert.ok(!canApprove(ola, index, chapter, 'Vestby').ok, 'Vestby does not own it');
    assert.ok(canApprove(ola, index, jointGoal, 'Vestby').ok);
    assert.ok(!canApprove(per, index, jointGoal, '').ok);
    assert.ok(canResolveConflict(ola, index, { node: P(2, 20), field: 'deadline' }).ok);
    assert.ok(!canResolveConflict(ola, index, { node: P(2, 11), field: 'deadline' }).ok);
  });
});

describe('bulk', () => {
  const s = (id, user, node, extra = {}) => ({ id: P(5, id), kind: 'text', node, field: 'title', status: 'open',
    stale: false, author: { user }, ...extra });
  const all = [s(1, 'per', P(2, 11)), s(2, 'per', P(2, 20)), s(3, 'siri', P(2, 20)),
    s(4, 'per', P(2, 20), { stale: true }), s(5, 'per', P(2, 20), { status: 'rejected' })];
  test('all of one person\'s: open, not stale, and decidable by the user', () => {
    assert.deepEqual(bulkTargets(all, { author: 'per', index, user: ola }).map((x) => x.id[1]), [2]);
    assert.deepEqual(bulkTargets(all, { author: 'per', index, user: anne }).map((x) => x.id[1]), [1, 2]);
    assert.deepEqual(bulkTargets(all, { author: 'per', index, user: per }), []);
  });
  test('all in a subtree', () => {
    assert.ok(inSubtree(index, '2:11', '2:10'));
    assert.ok(!inSubtree(index, '2:20', '2:10'));
    assert.deepEqual(bulkTargets(all, { root: '2:10', index, user: anne }).map((x) => x.id[1]), [1]);
    assert.deepEqual(bulkTargets(all, { root: '0:1', index, user: admin }).map((x) => x.id[1]), [1, 2, 3]);
  });
});

describe('values and strings', () => {
  test('values are typed for the wire as the schema types them', () => {
    assert.deepEqual(typedValue('2027-01-31', 'date'), { type: 'date', value: '2027-01-31' });
    assert.deepEqual(typedValue('planned', 'string'), { type: 'string', value: 'planned' });
    assert.deepEqual(typedValue(3, 'number'), { type: 'number', value: 3 });
    assert.deepEqual(typedValue(3, 'int'), { type: 'int', value: 3 });
    assert.deepEqual(typedValue(2.5), { type: 'number', value: 2.5 });
    assert.deepEqual(typedValue(null, 'date'), { type: 'null', value: null });
    assert.deepEqual(typedValue(true), { type: 'bool', value: true });
    assert.deepEqual(typedValue(['Moss']), { type: 'string_list', value: ['Moss'] });
    assert.deepEqual(typedValue({ type: 'int', value: 1 }), { type: 'int', value: 1 });
  });
  test('the review strings exist in nb, sv and en', () => {
    for (const lang of ['nb', 'sv', 'en']) {
      const t = translator(lang);
      assert.notEqual(t('review.title'), 'review.title');
      assert.match(t('review.approve', { municipality: 'Moss' }), /Moss/);
    }
    assert.equal(translator('nb')('review.tab.inbox'), 'Innboks');
    assert.equal(translator('sv')('review.tab.inbox'), 'Inkorg');
  });
});
