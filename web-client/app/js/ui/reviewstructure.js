// ui/reviewstructure.js — in suggest mode, structure changes of the
// selected part as suggestions: a new sub-part (kind and title), moving it
// up or down among its siblings, deleting it. (Texts, fields and cells are
// suggested by editing them in the node panel.)
import { h, nextId } from './dom.js';
import { planMove, childKinds } from './treeops.js';
import { allows } from './schema.js';

export class StructureSuggest {
  constructor(panel) {
    this.panel = panel;
    this.el = h('div', { class: 'suggest-structure', 'data-testid': 'suggest-structure', hidden: true });
    this.signature = '';
  }

  get t() { return this.panel.app.t; }

  update() {
    const panel = this.panel;
    const ed = panel.editor;
    const key = ed.selected;
    const on = panel.suggesting() && !!key && !!ed.index && ed.index.has(key);
    this.el.hidden = !on;
    if (!on) { this.signature = ''; return; }
    const entry = ed.index.get(key);
    const kinds = childKinds(ed.schema.get(entry.node.kind));
    const allowed = (p, c) => allows(ed.schema, p, c);
    const up = planMove(ed.index, key, 'up', allowed);
    const down = planMove(ed.index, key, 'down', allowed);
    const sig = JSON.stringify([key, kinds, up, down, entry.parent, this.t.lang]);
    if (sig === this.signature) return;
    this.signature = sig;
    const { t } = this;
    const kindId = nextId('sg-kind');
    const titleId = nextId('sg-title');
    const kind = h('select', { id: kindId, 'data-testid': 'suggest-node-kind' },
      kinds.map((k) => h('option', { value: k }, t(`kind.${k}`))));
    const title = h('input', { type: 'text', id: titleId, 'data-testid': 'suggest-node-title' });
    const node = entry.node.id;
    const run = (req, say) => { if (panel.run(req)) panel.say(t(say)); };
    this.el.replaceChildren(
      h('h3', {}, t('review.structure')),
      kinds.length ? h('form', { class: 'sg-new', onsubmit: (e) => {
        e.preventDefault();
        if (!title.value.trim()) { title.focus(); return; }
        run({ op: 'suggest_node', parent: node, index: (entry.node.children || []).length,
          kind: kind.value, title: title.value.trim() }, 'review.suggested');
        title.value = '';
      } },
      h('label', { for: kindId }, t('review.newChildKind')), kind,
      h('label', { for: titleId }, t('review.newChildTitle')), title,
      h('button', { type: 'submit', class: 'btn btn-small', 'data-testid': 'suggest-node-submit' }, t('review.suggestNew'))) : null,
      entry.parent ? h('div', { class: 'row-actions' },
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggest-move-up', disabled: !up,
          onclick: () => run({ op: 'suggest_move', node, parent: up.parent.split(':').map(Number), index: up.index }, 'review.suggested') },
        t('review.suggestUp')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggest-move-down', disabled: !down,
          onclick: () => run({ op: 'suggest_move', node, parent: down.parent.split(':').map(Number), index: down.index }, 'review.suggested') },
        t('review.suggestDown')),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'suggest-delete',
          onclick: () => run({ op: 'suggest_delete', node }, 'review.suggested') }, t('review.suggestDelete'))) : null);
  }
}
