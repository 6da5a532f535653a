// Tests of the CRDT core compiled to WebAssembly (web-client/core/bindings.cc),
// as a browser would use it. Build first with scripts/build-wasm.sh, then:
//   node --test web-client/core/core.test.mjs
// SAMPLAN_CORE_MODULE may point at another build of samplan_core.mjs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

const modulePath = process.env.SAMPLAN_CORE_MODULE
  ? new URL(process.env.SAMPLAN_CORE_MODULE, `file://${process.cwd()}/`)
  : new URL('../../build-wasm/samplan_core.mjs', import.meta.url);
const { default: Factory } = await import(modulePath);
const core = await Factory();
const features = core.features();

// Norwegian letters (two UTF-8 bytes, one UTF-16 unit) and an emoji (four
// UTF-8 bytes, two UTF-16 units, one code point).
const NORSK = 'Blåbærsyltetøy på Råde';
const EMOJI = '😀';

// embind objects live in wasm memory: free them when a test is done.
function using(objects, fn) {
  try {
    return fn(...objects);
  } finally {
    for (const o of objects) o.delete();
  }
}

describe('utf8', () => {
  test('counts code points, not UTF-16 units', () => {
    const s = `Mål ${EMOJI}!`;
    assert.equal(s.length, 7);
    assert.equal(core.countCodePoints(s), 6);
    assert.equal(core.countCodePoints(NORSK), NORSK.length);
    assert.equal(core.countCodePoints(''), 0);
  });

  test('converts positions between UTF-16 and code points', () => {
    const s = `æø${EMOJI}å`;  // code points: æ ø 😀 å; UTF-16: 5 units
    assert.equal(core.utf16ToCodePoint(s, 0), 0);
    assert.equal(core.utf16ToCodePoint(s, 2), 2);
    assert.equal(core.utf16ToCodePoint(s, 4), 3);
    assert.equal(core.utf16ToCodePoint(s, 5), 4);
    assert.equal(core.codePointToUtf16(s, 3), 4);
    assert.equal(core.codePointToUtf16(s, 4), s.length);
    // Offset 3 falls between the two halves of the emoji.
    assert.throws(() => core.utf16ToCodePoint(s, 3), /invalid_argument/);
    assert.throws(() => core.utf16ToCodePoint(s, 6), /out_of_range/);
    assert.throws(() => core.codePointToUtf16(s, 5), /out_of_range/);
  });

  test('validates UTF-8 bytes', () => {
    assert.equal(core.utf8Check('æøå ÆØÅ ' + EMOJI), null);
    assert.equal(core.utf8Check(new TextEncoder().encode(NORSK)), null);
    const bad = [
      [0xc3],              // truncated å
      [0xc0, 0xaf],        // overlong
      [0xed, 0xa0, 0x80],  // a surrogate
      [0xf4, 0x90, 0x80, 0x80],  // above U+10FFFF
    ];
    for (const bytes of bad) {
      assert.match(core.utf8Check(new Uint8Array(bytes)), /invalid_argument/,
                   `bytes ${bytes}`);
    }
    assert.throws(() => core.countCodePoints(new Uint8Array([0x61, 0xff])),
                  /invalid_argument/);
  });
});

describe('TextSequence', { skip: !features.includes('text_sequence') &&
                                'crdt/text_sequence.cc is not written yet' }, () => {
  test('local edits in code points and in UTF-16 units', () => {
    using([new core.TextSequence(1)], (t) => {
      t.insert(0, 'Mål');
      t.insert(3, ` ${EMOJI} for Våler`);
      assert.equal(t.text(), `Mål ${EMOJI} for Våler`);
      assert.equal(t.length, 15);
      assert.equal(t.utf16Length, t.text().length);
      assert.equal(t.utf16Length, 16);
      // After the emoji: code point 5, UTF-16 unit 6.
      assert.equal(t.codePointToUtf16(5), 6);
      assert.equal(t.utf16ToCodePoint(6), 5);
      t.insertUtf16(6, 'æ');
      assert.equal(t.text(), `Mål ${EMOJI}æ for Våler`);
      // Delete the emoji: one code point, two UTF-16 units.
      t.removeUtf16(4, 2);
      assert.equal(t.text(), 'Mål æ for Våler');
      assert.throws(() => t.insertUtf16(100, 'x'), /out_of_range/);
      assert.throws(() => t.remove(10, 100), /out_of_range/);
      assert.equal(t.text(), 'Mål æ for Våler');
      assert.equal(t.checkInvariants(), '');
    });
  });

  test('two replicas converge on concurrent edits', () => {
    using([new core.TextSequence(1), new core.TextSequence(2)], (a, b) => {
      b.apply(a.insert(0, 'Tiltak: '));
      const opA = a.insert(8, 'sykkelvei i Moss');
      const opB = b.insert(8, `grønn buss ${EMOJI} `);
      const delA = a.remove(0, 1);
      a.apply(opB);
      b.apply(delA);
      b.apply(opA);
      assert.equal(a.text(), b.text());
      // Concurrent insertions at one place do not interleave.
      assert.match(a.text(), /sykkelvei i Moss/);
      assert.match(a.text(), new RegExp(`grønn buss ${EMOJI} `));
      assert.ok(a.text().startsWith('iltak: '));
      assert.equal(a.length, core.countCodePoints(a.text()));
      assert.equal(a.checkInvariants(), '');
      assert.equal(b.checkInvariants(), '');
    });
  });
});

describe('Replica', { skip: !features.includes('replica') &&
                            'crdt/replica.cc is not written yet' }, () => {
  let a;
  let b;
  before(() => {
    a = new core.Replica(1);
    b = new core.Replica(2);
  });
  after(() => {
    a.delete();
    b.delete();
  });

  test('builds a plan with fields and text', () => {
    const root = core.Replica.root();
    a.insertText(root, 'title', 0, 'Regional handlingsplan for Moss, Råde og Våler');
    const goal = a.createNode(root, 0, 'goal');
    assert.equal(a.kindOf(goal), 'goal');
    assert.deepEqual(a.children(root), [goal]);
    a.insertText(goal, 'title', 0, `Grønn mobilitet ${EMOJI}`);
    a.insertTextUtf16(goal, 'title', `Grønn mobilitet ${EMOJI}`.length, ' i Østfold');
    assert.equal(a.text(goal, 'title'), `Grønn mobilitet ${EMOJI} i Østfold`);
    a.deleteTextUtf16(goal, 'title', 16, 2);  // the emoji
    assert.equal(a.text(goal, 'title'), 'Grønn mobilitet  i Østfold');
    a.deleteText(goal, 'title', 15, 1);
    assert.equal(a.text(goal, 'title'), 'Grønn mobilitet i Østfold');
    a.setField(goal, 'target_year', 2024);
    assert.equal(a.field(goal, 'target_year'), 2024);
    const measure = a.createNode(goal, 0, 'measure');
    a.setField(measure, 'responsible', ['Moss', 'Råde']);
    a.setField(measure, 'deadline', '2024-06-21');
    assert.deepEqual(a.field(measure, 'responsible'), ['Moss', 'Råde']);
    assert.equal(a.field(measure, 'deadline'), '2024-06-21');
    assert.throws(() => a.setField(goal, 'no_such_field', 1), /invalid_argument/);
    assert.throws(() => a.insertText(goal, 'title', 1000, 'x'), /out_of_range/);
    assert.equal(a.checkInvariants(), '');
  });

  test('syncs by encoded ops and converges', () => {
    b.applyOps(a.opsSince([]));
    assert.equal(b.pendingCount(), 0);
    assert.equal(b.canonicalDump(), a.canonicalDump());
    const goal = a.children(core.Replica.root())[0];
    // Concurrent edits on both sides, then exchange what the other lacks.
    const va = a.version();
    const vb = b.version();
    a.insertText(goal, 'title', 0, 'Mål 1: ');
    b.insertTextUtf16(goal, 'title', b.text(goal, 'title').length, ` ${EMOJI}`);
    b.applyOps(a.opsSince(vb));
    a.applyOps(b.opsSince(va));
    assert.equal(a.text(goal, 'title'), `Mål 1: Grønn mobilitet i Østfold ${EMOJI}`);
    assert.equal(b.text(goal, 'title'), a.text(goal, 'title'));
    assert.equal(b.canonicalDump(), a.canonicalDump());
    assert.throws(() => b.applyOps(new Uint8Array([1, 2, 3])), /corruption/);
  });

  test('round-trips a snapshot', () => {
    const bytes = a.encodeSnapshot();
    assert.ok(bytes instanceof Uint8Array && bytes.length > 0);
    using([new core.Replica(bytes, 3)], (c) => {
      assert.equal(c.canonicalDump(), a.canonicalDump());
      const goal = c.children(core.Replica.root())[0];
      c.insertText(goal, 'title', 0, 'Å ');
      assert.ok(c.text(goal, 'title').startsWith('Å Mål 1'));
    });
    assert.throws(() => new core.Replica(new Uint8Array([0xff]), 4), /corruption/);
  });
});
