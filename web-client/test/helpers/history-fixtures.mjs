// Fixture JSON of the server's history answers, written from the design
// (docs/protocol.md "History"; protocol/history_json.h, protocol/diff_json.h:
// a "by" is {user, municipality, time, seq})
// for the node tests of web-client/app/js/history.js. Texts mix characters
// outside the BMP (🌍, 𝔸) with Norwegian letters, so every code point →
// UTF-16 conversion is exercised.

export const ola = { user: 'ola', municipality: 'Vestby', time: 1764090000000 };
export const anne = { user: 'anne', municipality: 'Moss', time: 1764090060000 };
export const siri = { user: 'siri', municipality: 'Råde', time: 1764090120000 };

// The body of goal [1, 20] at seq 40 and at seq 55.
export const OLD_BODY = 'Grønn 🌍 vekst i regionen.';
export const NEW_BODY = 'Grønn og 𝔸 rettferdig 🌍 vekst i hele regionen.';

export const diffReply = {
  v: 1,
  type: 'history',
  ref: 'q7',
  query: 'diff',
  diff: {
    from: { seq: 40, time: 1764090000000 },
    to: { seq: 55, time: 1764090180000, version: 'Vedtatt' },
    nodes: {
      added: [{ node: [2, 300], kind: 'measure', parent: [1, 20], index: 3, number: '1.3', title: 'Ny sykkelvei',
        by: { ...ola, seq: 41 }, fields: {}, texts: { title: 'Ny sykkelvei' } }],
      removed: [{ node: [1, 90], kind: 'subgoal', parent: [1, 20], index: 1, number: '1.2', title: 'Gammelt delmål',
        with_parent: false, by: { ...anne, seq: 42 } }],
      moved: [{ node: [1, 70], kind: 'measure', title: 'Flytt meg', old_parent: [1, 20], old_index: 0, old_number: '1.1',
        parent: [1, 21], index: 2, number: '2.3', by: { ...anne, seq: 43 } }],
      renumbered: [{ node: [1, 71], kind: 'goal', title: 'Mål', old_number: '3', number: '2' }],
    },
    changes: [{
      node: [1, 20], kind: 'goal', number: '1', title: 'Grønn vekst',
      fields: [{ field: 'status', old: { type: 'string', value: 'planned' }, new: { type: 'string', value: 'in progress' },
        by: { ...anne, seq: 50 } }],
      // Older text coordinates (code points): "Grønn " retain 6, insert
      // "og 𝔸 rettferdig " (ola), retain "🌍 vekst i " (10), insert "hele "
      // (siri), retain "regionen." (9).
      texts: [{ field: 'body', inserted: 21, deleted: 0, pieces: [
        { op: 'retain', length: 6 },
        { op: 'insert', length: 16, text: 'og 𝔸 rettferdig ', by: { ...ola, seq: 44 }, seq_last: 47 },
        { op: 'retain', length: 10 },
        { op: 'insert', length: 5, text: 'hele ', by: { ...siri, seq: 52 }, seq_last: 52 },
        { op: 'retain', length: 9 },
      ] }],
      tables: [],
    }],
    review: { opened: [], resolved: [], reopened: [], accepted: [], rejected: [], revoked: [],
      approved: [{ id: [4, 9], what: 'approval', node: [1, 20], number: '1', title: 'Grønn vekst', node_removed: false,
        field: 'Moss', text: '', by: { ...anne, seq: 53 } }] },
    stats: { nodes_added: 1, nodes_removed: 1, nodes_moved: 1, fields_changed: 1, chars_inserted: 21, chars_deleted: 0 },
  },
};

// Blame of the new body: spans in code points covering it exactly.
// "Grønn " (6, seed), "og 𝔸 rettferdig " (16, ola), "🌍 vekst i " (10,
// seed), "hele " (5, siri), "regionen." (9, seed).
const seed = { user: 'kari', name: 'Kari Nordmann', erased: false, municipality: 'Moss', time: 1764080000000 };
export const blameReply = {
  v: 1,
  type: 'history',
  ref: 'q8',
  query: 'blame',
  blame: {
    nodes: [{
      node: [1, 20], number: '1', title: 'Grønn vekst', kind: 'goal',
      last: { ...siri, seq: 52 },
      texts: { body: [
        { start: 0, length: 6, ...seed, seq: 3 },
        { start: 6, length: 16, ...ola, name: 'Ola Nordmann', erased: false, seq: 44 },
        { start: 22, length: 10, ...seed, seq: 3 },
        { start: 32, length: 5, ...siri, name: null, erased: true, seq: 52 },
        { start: 37, length: 9, ...seed, seq: 3 },
      ] },
      fields: { status: { ...anne, seq: 50 } },
      cells: [],
    }],
  },
};

export const entriesReply = {
  v: 1,
  type: 'history',
  ref: 'q9',
  query: 'changes',
  entries: [
    { seq: 52, seq_last: 52, ops: 1, time: 1764090120000, time_last: 1764090120000, user: 'siri', name: null, erased: true,
      municipality: 'Råde', kinds: ['insert_text'], node: [1, 20], node_kind: 'goal', number: '1', title: 'Grønn vekst',
      node_deleted: false, field: 'body', before: '', after: 'hele ', summary: 'body: +5 «hele »' },
    { seq: 50, seq_last: 50, ops: 1, time: 1764090060000, time_last: 1764090060000, user: 'anne', name: 'Anne', erased: false,
      municipality: 'Moss', kinds: ['set_field'], node: [1, 20], node_kind: 'goal', number: '1', title: 'Grønn vekst',
      node_deleted: false, field: 'status', before: 'planned', after: 'in progress', summary: 'status: planned → in progress' },
  ],
  next: '49',
  last_seq: 55,
};

export const versionsReply = {
  v: 1,
  type: 'history',
  ref: 'q1',
  query: 'versions',
  versions: [
    { name: 'Vedtatt', reference: 'PS 12/23', seq: 55, time: 1764090180000, head: 'ab'.repeat(32), created_by: 'kari',
      created_ms: 1764090200000, key_id: '0123456789abcdef', signature: 'c2ln' },
    { name: 'Høringsutkast', reference: '', seq: 40, time: 1764090000000, head: 'cd'.repeat(32), created_by: 'kari',
      created_ms: 1764090010000, key_id: '0123456789abcdef', signature: 'c2ln' },
  ],
};
