// PlanDoc.review / reviewView over the wasm core (web-client/app/js/doc.js):
// review requests with UTF-16 positions make ops another replica applies to
// the same review views; a suggestion accepted applies its change, one
// rejected keeps its reason; a stale suggestion needs "accept anyway";
// approvals become outdated. Build first: scripts/build-wasm.sh (with the
// review bindings, reviewEditJson / reviewJson).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadTestCore } from './helpers/core.mjs';

const { core, PlanDoc } = await loadTestCore();
const ROOT = PlanDoc.root();
const A = 2 ** 32 + 1;
const B = 2 ** 32 + 2;
const skip = typeof core.Replica.prototype.reviewEditJson === 'function' ? false
  : 'build-wasm/samplan_core.mjs has no reviewEditJson binding yet (scripts/build-wasm.sh)';

const per = { user: 'per', municipality: '' };
const anne = { user: 'anne', municipality: 'Moss' };

// Two replicas with a goal whose title has an emoji (UTF-16 ≠ code points).
function setUp() {
  const a = PlanDoc.create(core, A);
  const b = PlanDoc.create(core, B);
  const { id: goal } = a.createNode(ROOT, 0, 'goal');
  a.insertText(goal, 'title', 0, 'Grønn 😀 mobilitet i regionen');
  b.applyRemote(a.opsSince(null));
  return { a, b, goal };
}
const sync = (from, to) => to.applyRemote(from.opsSince(to.version()));
const view = (doc, query, viewer = anne, extra = {}) => doc.reviewView({ query, viewer, ...extra });

test('a thread on a text range: UTF-16 in, code points in the view, UTF-16 twins out', { skip }, () => {
  const { a, b, goal } = setUp();
  const title = a.text(goal, 'title');
  const from = title.indexOf('mobilitet');
  const to = from + 'mobilitet'.length;
  const seen = [];
  a.on('change', (e) => seen.push(e));
  const { id, ops } = a.review({ op: 'add_thread', node: goal, field: 'title', from, to,
    body: 'Bør vi tallfeste dette? @Moss', mentions: ['municipality:Moss'] });
  assert.ok(Array.isArray(id), 'the new thread\'s id');
  assert.equal(ops.length, 1);
  assert.equal(ops[0].kind, 'add_comment');
  assert.deepEqual(seen.map((e) => e.local), [true], 'emitted as a local change, so the Connection sends it');
  sync(a, b);
  const [x] = view(b, 'threads').items;
  assert.equal(x.anchor.kind, 'text');
  assert.equal(x.quote, 'mobilitet');
  assert.equal(x.place.from, from - 1, 'code points: the emoji counts once');
  assert.equal(x.place.from16, from);
  assert.equal(x.place.to16, to);
  assert.equal(x.comments[0].body, 'Bør vi tallfeste dette? @Moss');
  assert.deepEqual(x.comments[0].mentions, ['municipality:Moss']);
  // A reply by b; a's unread count and the inbox of Moss see it.
  b.review({ op: 'reply', thread: x.id, body: 'Ja, 20 %.' });
  sync(b, a);
  const mine = view(a, 'threads', per).items[0];
  assert.equal(mine.comments.length, 2);
  assert.deepEqual(view(a, 'threads').items, view(b, 'threads').items, 'both replicas show the same');
  const inbox = view(a, 'inbox', anne);
  assert.equal(inbox.items.length, 1);
  assert.ok(inbox.items[0].reasons.includes('mention'));
  // Marking read is an op of its own (the author is stamped by the server).
  const read = a.review({ op: 'mark_read', thread: x.id });
  assert.deepEqual(read.ops.map((o) => o.kind), ['mark_read']);
  a.dispose(); b.dispose();
});

test('suggestions: accept applies, reject keeps the reason, stale needs accept anyway', { skip }, () => {
  const { a, b, goal } = setUp();
  const title = a.text(goal, 'title');
  const at = title.indexOf('i regionen');
  // b (a reviewer) suggests replacing "i regionen" and a field value.
  const s1 = b.review({ op: 'suggest_text', node: goal, field: 'title', pos: at, length: 'i regionen'.length,
    text: 'i hele Østfold' });
  const s2 = b.review({ op: 'suggest_field', node: goal, field: 'target_year', value: 2030 });
  const s3 = b.review({ op: 'suggest_text', node: goal, field: 'title', pos: 0, length: 5, text: 'Blå' });
  assert.equal(b.text(goal, 'title'), title, 'a suggestion changes nothing');
  sync(b, a);
  const open = view(a, 'suggestions').items.filter((s) => s.status === 'open');
  assert.equal(open.length, 3);
  const t1 = open.find((s) => s.kind === 'text' && s.text === 'i hele Østfold');
  assert.equal(t1.place.from16, at);
  assert.equal(t1.place.to16, at + 'i regionen'.length);
  // a accepts one, rejects the other with a reason.
  a.review({ op: 'accept', suggestion: s1.id });
  a.review({ op: 'reject', suggestion: s2.id, reason: 'Målåret er vedtatt' });
  assert.equal(a.text(goal, 'title'), title.replace('i regionen', 'i hele Østfold'));
  assert.equal(a.field(goal, 'target_year').value, null);
  // The third is stale once its range is edited.
  a.insertText(goal, 'title', 2, 'x');
  const stale = view(a, 'suggestions').items.find((s) => s.id[0] === s3.id[0] && s.id[1] === s3.id[1]);
  assert.equal(stale.stale, true);
  assert.ok(stale.change);
  assert.throws(() => a.review({ op: 'accept', suggestion: s3.id }), /stale|precondition/i);
  a.review({ op: 'accept', suggestion: s3.id, stale: true });
  sync(a, b);
  assert.equal(b.text(goal, 'title'), a.text(goal, 'title'));
  const decided = view(b, 'suggestions').items;
  assert.equal(decided.find((s) => s.kind === 'field').status, 'rejected');
  assert.equal(decided.find((s) => s.kind === 'field').reason, 'Målåret er vedtatt');
  assert.ok(decided.find((s) => s.id[0] === s3.id[0] && s.id[1] === s3.id[1]).stale_accepted);
  assert.deepEqual(a.state().root, b.state().root);
  a.dispose(); b.dispose();
});

test('sign-off: an approval, then an edit inside outdates it; conflicts list who wrote each', { skip }, () => {
  const { a, b, goal } = setUp();
  a.setField(ROOT, 'municipalities', ['Moss', 'Vestby']);
  sync(a, b);
  a.review({ op: 'approve', node: goal, municipality: 'Moss' });
  let part = view(a, 'signoff').items.find((p) => p.node[0] === goal[0] && p.node[1] === goal[1]);
  assert.ok(part.approvals.some((x) => x.municipality === 'Moss' && !x.outdated));
  sync(a, b);
  b.insertText(goal, 'title', 0, 'Ny: ');
  sync(b, a);
  part = view(a, 'signoff').items.find((p) => p.node[0] === goal[0] && p.node[1] === goal[1]);
  assert.ok(part.approvals.find((x) => x.municipality === 'Moss').outdated);
  assert.ok(part.missing.includes('Moss'));
  // Concurrent values of one field.
  a.setField(goal, 'target_year', 2027);
  b.setField(goal, 'target_year', 2028);
  sync(a, b); sync(b, a);
  const [c] = view(a, 'conflicts').items;
  assert.equal(c.field, 'target_year');
  assert.equal(c.values.length, 2);
  assert.deepEqual(view(b, 'conflicts').items, view(a, 'conflicts').items);
  a.dispose(); b.dispose();
});
