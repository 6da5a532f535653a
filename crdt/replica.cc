#include "crdt/replica.h"

#include <algorithm>
#include <utility>

#include "crdt/utf8.h"

namespace samplan {
namespace {

Status UnknownNode(OpId node) {
  return Status::NotFound("unknown node " + node.ToString());
}

bool IsBuiltIn(OpId node) { return node == kRootNode || node == kTrashNode; }

// The tree's view of a create, move or delete op.
TreeMove ToTreeMove(const Op& op) {
  TreeMove move;
  move.lamport = op.lamport;
  move.id = op.id;
  move.node = op.kind == OpKind::kCreateNode ? op.id : op.node;
  move.parent = op.kind == OpKind::kDeleteNode ? kTrashNode : op.parent;
  move.slot_left = op.left;
  move.slot_right = op.right;
  if (op.kind == OpKind::kCreateNode) move.kind = op.name;
  return move;
}

// Appends `next` to a DeleteText's spans, merging it into the last span
// when it continues it forwards (delete key) or backwards (backspace).
void AppendSpan(std::vector<IdSpan>* spans, const IdSpan& next) {
  if (!spans->empty()) {
    IdSpan& last = spans->back();
    if (last.replica == next.replica && !next.backward &&
        (last.length == 1 || !last.backward) &&
        next.counter == last.counter + last.length &&
        (last.length > 1 || next.length >= 1) && !last.backward) {
      last.length += next.length;
      return;
    }
    if (last.replica == next.replica && next.length == 1 &&
        (last.length == 1 || last.backward) &&
        next.counter + 1 == last.counter) {
      last.counter = next.counter;
      last.length += 1;
      last.backward = true;
      return;
    }
  }
  spans->push_back(next);
}


}  // namespace

size_t Replica::FieldKeyHash::operator()(const FieldKey& k) const {
  return OpIdHash()(k.node) ^ (std::hash<std::string>()(k.name) * 31);
}

Replica::Replica(ReplicaId id, PlanSchema schema)
    : id_(id), schema_(std::move(schema)) {}

Replica::~Replica() = default;

// ---------------------------------------------------------------- reads --

bool Replica::IsDeleted(OpId node) const {
  return tree_.Exists(node) && tree_.IsDeleted(node);
}

const std::string& Replica::KindOf(OpId node) const {
  return tree_.KindOf(node);
}

OpId Replica::ParentOf(OpId node) const { return tree_.ParentOf(node); }

std::vector<OpId> Replica::Children(OpId node) const {
  if (!tree_.Exists(node)) return {};
  return tree_.Children(node);
}

OpId Replica::ParentBeforeDelete(OpId node) const {
  if (!tree_.Exists(node) || IsBuiltIn(node) ||
      tree_.ParentOf(node) != kTrashNode) {
    return kNullId;
  }
  // Each step goes to a move earlier in the log, so the log length bounds
  // the walk even on a state that breaks the invariants.
  OpId move = tree_.EffectiveMove(node);
  for (size_t steps = 0; steps <= tree_.log().size() && !move.IsNull();
       ++steps) {
    OpId parent, previous;
    if (!tree_.StateBefore(LamportOf(move), move, &parent, &previous).ok()) {
      return kNullId;
    }
    if (parent != kTrashNode) return parent;  // kNullId: created in trash
    move = previous;
  }
  return kNullId;
}

std::string Replica::Numbering(OpId node) const {
  if (!tree_.Exists(node) || IsBuiltIn(node)) return "";
  const OpId parent = tree_.ParentOf(node);
  const std::string& kind = tree_.KindOf(node);
  size_t number = 1;
  for (OpId sibling : tree_.Children(parent)) {
    if (sibling == node) break;
    if (tree_.KindOf(sibling) == kind) ++number;
  }
  std::string prefix = Numbering(parent);
  return prefix.empty() ? std::to_string(number)
                        : prefix + "." + std::to_string(number);
}

Result<FieldRead> Replica::Field(OpId node, std::string_view field) const {
  if (!tree_.Exists(node)) return UnknownNode(node);
  SAMPLAN_RETURN_IF_ERROR(
      schema_.CheckField(tree_.KindOf(node), field, FieldValue::Null()));
  FieldRead read;
  auto it = fields_.find(FieldKey{node, std::string(field)});
  if (it == fields_.end() || it->second.empty()) return read;
  const auto& entries = it->second.entries();
  read.value = entries.front().value;
  read.winner = entries.front().id;
  read.author = entries.front().author;
  read.conflicts.assign(entries.begin() + 1, entries.end());
  return read;
}

Result<std::string> Replica::Text(OpId node, std::string_view field) const {
  if (!tree_.Exists(node)) return UnknownNode(node);
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(tree_.KindOf(node), field));
  const TextSequence* text = TextOf(node, field);
  return text == nullptr ? std::string() : text->ToUtf8();
}

const MultiValueRegister* Replica::FieldRegister(
    OpId node, const std::string& field) const {
  auto it = fields_.find(FieldKey{node, field});
  return it == fields_.end() ? nullptr : &it->second;
}

const MultiValueRegister* Replica::CellRegister(OpId node,
                                                std::string_view table,
                                                OpId row, OpId column) const {
  const Table* t = TableOf(node, table);
  return t == nullptr ? nullptr : t->Cell(row, column);
}

const TextSequence* Replica::TextOf(OpId node, std::string_view field) const {
  auto it = texts_.find(FieldKey{node, std::string(field)});
  return it == texts_.end() ? nullptr : &it->second;
}

const Table* Replica::TableOf(OpId node, std::string_view table) const {
  auto it = tables_.find(FieldKey{node, std::string(table)});
  return it == tables_.end() ? nullptr : &it->second;
}

// -------------------------------------------------------------- anchors --

Result<Anchor> Replica::AnchorAtNode(OpId node) const {
  if (!tree_.Exists(node)) return UnknownNode(node);
  Anchor a;
  a.node = node;
  return a;
}

Result<Anchor> Replica::AnchorAtText(OpId node, std::string_view field,
                                     size_t pos, Anchor::Side side) const {
  if (!tree_.Exists(node)) return UnknownNode(node);
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(tree_.KindOf(node), field));
  const TextSequence* text = TextOf(node, field);
  const size_t size = text == nullptr ? 0 : text->size();
  if (pos > size) {
    return Status::OutOfRange("anchor position " + std::to_string(pos) +
                              " is past the end of text '" +
                              std::string(field) + "' (length " +
                              std::to_string(size) + ")");
  }
  Anchor a;
  a.node = node;
  a.field = std::string(field);
  a.side = side;
  if (side == Anchor::Side::kBefore) {
    // Sticks to the character now at pos; at the end, to the last one.
    if (pos < size) {
      a.character = *text->IdAt(pos);
    } else if (size > 0) {
      a.character = *text->IdAt(size - 1);
      a.side = Anchor::Side::kAfter;
    }
  } else if (pos > 0) {
    a.character = *text->IdAt(pos - 1);
  } else {
    a.side = Anchor::Side::kBefore;  // the start of the text
    if (size > 0) a.character = *text->IdAt(0);
  }
  return a;
}

Result<AnchorPosition> Replica::Resolve(const Anchor& anchor) const {
  if (!tree_.Exists(anchor.node)) return UnknownNode(anchor.node);
  AnchorPosition pos;
  pos.node = anchor.node;
  pos.parent = tree_.ParentOf(anchor.node);
  pos.node_deleted = tree_.IsDeleted(anchor.node);
  if (!IsBuiltIn(anchor.node)) pos.index = tree_.IndexInParent(anchor.node);
  if (anchor.field.empty()) return pos;
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(tree_.KindOf(anchor.node),
                                            anchor.field));
  if (anchor.character.IsNull()) return pos;  // start of the text
  const TextSequence* text = TextOf(anchor.node, anchor.field);
  if (text == nullptr) {
    return Status::NotFound("anchor character " +
                            anchor.character.ToString() + " is not in text '" +
                            anchor.field + "'");
  }
  Result<TextSequence::Location> loc = text->Locate(anchor.character);
  if (!loc.ok()) return loc.status();
  pos.position = loc->position;
  pos.character_deleted = loc->deleted;
  if (!loc->deleted && anchor.side == Anchor::Side::kAfter) ++pos.position;
  return pos;
}

// ---------------------------------------------------------- local edits --

Op Replica::NewLocalOp(OpKind kind) {
  Op op;
  op.kind = kind;
  op.id = OpId{id_, version_.Get(id_) + 1};
  op.lamport = max_lamport_ + 1;
  op.deps = frontier_;
  op.author = author_;
  return op;
}

Status Replica::CheckNodeForEdit(OpId node) const {
  if (!tree_.Exists(node)) return UnknownNode(node);
  if (node == kTrashNode) {
    return Status::InvalidArgument("the trash cannot be edited");
  }
  if (tree_.IsDeleted(node)) {
    return Status::InvalidArgument("node " + node.ToString() +
                                   " is deleted; restore it first");
  }
  return Status::OK();
}

Status Replica::LocalCommit(Op op) {
  SAMPLAN_RETURN_IF_ERROR(CheckOpShape(op));
  SAMPLAN_RETURN_IF_ERROR(Validate(op));
  Integrate(op);
  Record(std::move(op));
  return Status::OK();
}

Result<OpId> Replica::CreateNode(OpId parent, size_t index,
                                 std::string_view kind) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(parent));
  Op op = NewLocalOp(OpKind::kCreateNode);
  op.parent = parent;
  op.name = std::string(kind);
  SAMPLAN_RETURN_IF_ERROR(
      tree_.SlotOriginsAt(parent, index, kNullId, &op.left, &op.right));
  const OpId id = op.id;
  SAMPLAN_RETURN_IF_ERROR(LocalCommit(std::move(op)));
  return id;
}

Status Replica::MoveNode(OpId node, OpId new_parent, size_t index) {
  // A deleted node may be moved: that is how it is restored.
  if (!tree_.Exists(node)) return UnknownNode(node);
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(new_parent));
  if (IsBuiltIn(node)) {
    return Status::InvalidArgument("the plan root cannot be moved");
  }
  if (tree_.IsAncestor(node, new_parent)) {
    return Status::InvalidArgument("moving node " + node.ToString() +
                                   " under " + new_parent.ToString() +
                                   " would create a cycle");
  }
  Op op = NewLocalOp(OpKind::kMoveNode);
  op.node = node;
  op.parent = new_parent;
  SAMPLAN_RETURN_IF_ERROR(
      tree_.SlotOriginsAt(new_parent, index, node, &op.left, &op.right));
  return LocalCommit(std::move(op));
}

Status Replica::DeleteNode(OpId node) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  if (IsBuiltIn(node)) {
    return Status::InvalidArgument("the plan root cannot be deleted");
  }
  Op op = NewLocalOp(OpKind::kDeleteNode);
  op.node = node;
  return LocalCommit(std::move(op));
}

Status Replica::SetField(OpId node, std::string_view field,
                         const FieldValue& value) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kSetField);
  op.node = node;
  op.name = std::string(field);
  op.value = value;
  if (const MultiValueRegister* reg = FieldRegister(node, op.name)) {
    op.supersedes = reg->CurrentIds();
  }
  return LocalCommit(std::move(op));
}

TextSequence* Replica::MutableText(OpId node, std::string_view field) {
  if (last_text_ != nullptr && last_text_key_.node == node &&
      last_text_key_.name == field) {
    return last_text_;
  }
  FieldKey key{node, std::string(field)};
  TextSequence* text = &texts_[key];  // node-based map: pointers are stable
  last_text_ = text;
  last_text_key_ = std::move(key);
  return text;
}

Result<TextSequence*> Replica::TextForEdit(OpId node,
                                           std::string_view field) {
  if (edit_cache_.epoch == tree_epoch_ && edit_cache_.node == node &&
      edit_cache_.field == field) {
    return edit_cache_.text;
  }
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(tree_.KindOf(node), field));
  TextSequence* text = MutableText(node, field);
  edit_cache_ = EditCache{node, std::string(field), tree_epoch_, text};
  return text;
}

Op* Replica::ExtendableTail(OpKind kind, OpId node, std::string_view field) {
  if (log_.empty() || frontier_.size() != 1) return nullptr;
  Op& tail = log_.back();
  const OpId last{id_, version_.Get(id_)};
  if (tail.id.replica != id_ || tail.kind != kind || frontier_[0] != last ||
      tail.node != node || tail.name != field || !(tail.author == author_)) {
    return nullptr;
  }
  return &tail;
}

void Replica::AdvanceLocal(uint64_t length) {
  // The frontier is exactly our last op, so every known op precedes it and
  // the Lamport clock continues from it: the existing run simply grows.
  const uint64_t last = version_.Get(id_) + length;
  lamports_[id_].back().length += length;
  max_lamport_ += length;
  frontier_[0] = OpId{id_, last};
  version_.Set(id_, last);
}

Status Replica::InsertText(OpId node, std::string_view field, size_t pos,
                           std::string_view utf8) {
  Result<TextSequence*> found = TextForEdit(node, field);
  if (!found.ok()) return found.status();
  TextSequence* text = *found;
  if (utf8.empty()) return Status::InvalidArgument("no text to insert");
  Result<std::u32string> chars = utf8::Decode(utf8);  // validates too
  if (!chars.ok()) return chars.status();
  if (pos > text->size()) {
    return Status::OutOfRange("text position " + std::to_string(pos) +
                              " is past the end of '" + std::string(field) +
                              "' (length " + std::to_string(text->size()) +
                              ")");
  }
  const OpId first{id_, version_.Get(id_) + 1};
  OpId left, right;
  SAMPLAN_RETURN_IF_ERROR(text->LocalInsert(pos, *chars, first, &left, &right));
  // Typing right after our own previous keystroke extends the logged op.
  Op* tail = ExtendableTail(OpKind::kInsertText, node, field);
  if (tail != nullptr && left == OpId{id_, first.counter - 1} &&
      right == tail->right) {
    tail->text.append(utf8);
    AdvanceLocal(chars->size());
    NoteNodeEdit(node, OpId{id_, version_.Get(id_)});
    return Status::OK();
  }
  Op op = NewLocalOp(OpKind::kInsertText);
  op.node = node;
  op.name = std::string(field);
  op.left = left;
  op.right = right;
  op.text = std::string(utf8);
  Record(std::move(op));
  NoteNodeEdit(node, OpId{id_, version_.Get(id_)});
  return Status::OK();
}

Status Replica::DeleteText(OpId node, std::string_view field, size_t pos,
                           size_t length) {
  Result<TextSequence*> found = TextForEdit(node, field);
  if (!found.ok()) return found.status();
  TextSequence* text = *found;
  if (length == 0) return Status::OK();
  if (pos > text->size() || length > text->size() - pos) {
    return Status::OutOfRange(
        "deleting " + std::to_string(length) + " characters at " +
        std::to_string(pos) + " passes the end of '" + std::string(field) +
        "' (length " + std::to_string(text->size()) + ")");
  }
  Op* tail = ExtendableTail(OpKind::kDeleteText, node, field);
  if (tail != nullptr) {
    // Backspacing or deleting forwards right after our own delete.
    spans_scratch_.clear();
    SAMPLAN_RETURN_IF_ERROR(text->LocalDelete(pos, length, &spans_scratch_));
    for (const IdSpan& s : spans_scratch_) AppendSpan(&tail->spans, s);
    AdvanceLocal(length);
    NoteNodeEdit(node, OpId{id_, version_.Get(id_)});
    return Status::OK();
  }
  Op op = NewLocalOp(OpKind::kDeleteText);
  SAMPLAN_RETURN_IF_ERROR(text->LocalDelete(pos, length, &op.spans));
  op.node = node;
  op.name = std::string(field);
  Record(std::move(op));
  NoteNodeEdit(node, OpId{id_, version_.Get(id_)});
  return Status::OK();
}

Result<OpId> Replica::InsertTableLine(OpId node, std::string_view table,
                                      TableAxis axis, size_t index) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  SAMPLAN_RETURN_IF_ERROR(schema_.CheckTable(tree_.KindOf(node), table));
  Op op = NewLocalOp(OpKind::kInsertTableLine);
  op.node = node;
  op.name = std::string(table);
  op.axis = axis;
  const Table* t = TableOf(node, table);
  if (t != nullptr) {
    SAMPLAN_RETURN_IF_ERROR(t->LineOriginsAt(axis, index, &op.left, &op.right));
  } else if (index != 0) {
    return Status::OutOfRange("table '" + std::string(table) +
                              "' has no lines yet; index must be 0");
  }
  const OpId id = op.id;
  SAMPLAN_RETURN_IF_ERROR(LocalCommit(std::move(op)));
  return id;
}

Status Replica::DeleteTableLine(OpId node, std::string_view table,
                                TableAxis axis, OpId line) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kDeleteTableLine);
  op.node = node;
  op.name = std::string(table);
  op.axis = axis;
  op.target = line;
  return LocalCommit(std::move(op));
}

Status Replica::SetCell(OpId node, std::string_view table, OpId row,
                        OpId column, const FieldValue& value) {
  SAMPLAN_RETURN_IF_ERROR(CheckNodeForEdit(node));
  Op op = NewLocalOp(OpKind::kSetCell);
  op.node = node;
  op.name = std::string(table);
  op.target = row;
  op.column = column;
  op.value = value;
  if (const MultiValueRegister* cell = CellRegister(node, table, row, column)) {
    op.supersedes = cell->CurrentIds();
  }
  return LocalCommit(std::move(op));
}

// ---------------------------------------------------------- validation --

Status Replica::CheckSupersedes(const Op& op) const {
  for (const OpId& id : op.supersedes) {
    if (!version_.Includes(id)) {
      return Status::InvalidArgument("supersedes unknown write " +
                                     id.ToString());
    }
  }
  return Status::OK();
}

Status Replica::Validate(const Op& op) const {
  auto node_kind = [&](OpId node, const std::string** kind) -> Status {
    if (!tree_.Exists(node)) return UnknownNode(node);
    *kind = &tree_.KindOf(node);
    return Status::OK();
  };
  const std::string* kind = nullptr;
  switch (op.kind) {
    case OpKind::kCreateNode:
    case OpKind::kMoveNode:
    case OpKind::kDeleteNode: {
      const TreeMove move = ToTreeMove(op);
      if (op.kind != OpKind::kCreateNode && IsBuiltIn(op.node)) {
        return Status::InvalidArgument("the plan root and the trash cannot "
                                       "be moved or deleted");
      }
      const std::string* parent_kind = nullptr;
      SAMPLAN_RETURN_IF_ERROR(node_kind(move.parent, &parent_kind));
      if (op.kind != OpKind::kCreateNode) {
        SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      }
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckChild(
          *parent_kind, op.kind == OpKind::kCreateNode ? op.name : *kind));
      return tree_.Validate(move);
    }
    case OpKind::kSetField:
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckField(*kind, op.name, op.value));
      return CheckSupersedes(op);
    case OpKind::kInsertText: {
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(*kind, op.name));
      const TextSequence* text = TextOf(op.node, op.name);
      for (const OpId& origin : {op.left, op.right}) {
        if (!origin.IsNull() && (text == nullptr || !text->Contains(origin))) {
          return Status::NotFound("origin " + origin.ToString() +
                                  " is not in text '" + op.name + "' of " +
                                  op.node.ToString());
        }
      }
      return Status::OK();
    }
    case OpKind::kDeleteText: {
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckText(*kind, op.name));
      const TextSequence* text = TextOf(op.node, op.name);
      for (const IdSpan& span : op.spans) {
        if (text == nullptr || !text->ContainsSpan(span)) {
          return Status::NotFound(
              "characters " + OpId{span.replica, span.counter}.ToString() +
              " +" + std::to_string(span.length) + " are not all in text '" +
              op.name + "' of " + op.node.ToString());
        }
      }
      return Status::OK();
    }
    case OpKind::kInsertTableLine:
    case OpKind::kDeleteTableLine:
    case OpKind::kSetCell: {
      SAMPLAN_RETURN_IF_ERROR(node_kind(op.node, &kind));
      SAMPLAN_RETURN_IF_ERROR(schema_.CheckTable(*kind, op.name));
      const Table* table = TableOf(op.node, op.name);
      static const Table kEmpty;
      if (table == nullptr) table = &kEmpty;
      if (op.kind == OpKind::kInsertTableLine) {
        const IdList& lines = table->lines(op.axis);
        for (const OpId& origin : {op.left, op.right}) {
          if (!origin.IsNull() && !lines.Contains(origin)) {
            return Status::NotFound("table origin " + origin.ToString() +
                                    " is not a line of '" + op.name + "'");
          }
        }
        return Status::OK();
      }
      if (op.kind == OpKind::kDeleteTableLine) {
        if (!table->lines(op.axis).Contains(op.target)) {
          return Status::NotFound("table line " + op.target.ToString() +
                                  " is not in '" + op.name + "'");
        }
        return Status::OK();
      }
      SAMPLAN_RETURN_IF_ERROR(table->ValidateCell(op.target, op.column));
      return CheckSupersedes(op);
    }
    default:
      break;
  }
  if (IsReviewKind(op.kind)) return ValidateReview(op);
  return Status::InvalidArgument("unknown operation kind");
}

// ---------------------------------------------------------- integration --

void Replica::Integrate(const Op& op) {
  switch (op.kind) {
    case OpKind::kCreateNode:
    case OpKind::kMoveNode:
    case OpKind::kDeleteNode: {
      tree_.Apply(ToTreeMove(op));
      ++tree_epoch_;
      break;
    }
    case OpKind::kSetField:
      fields_[FieldKey{op.node, op.name}].Apply(op.id, op.lamport, op.value,
                                                op.supersedes, op.author);
      NoteNodeEdit(op.node, op.id);
      break;
    case OpKind::kInsertText: {
      Result<std::u32string> chars = utf8::Decode(op.text);
      MutableText(op.node, op.name)
          ->Integrate(op.id, op.left, op.right, *chars);
      NoteNodeEdit(op.node, op.LastId());
      break;
    }
    case OpKind::kDeleteText: {
      TextSequence* text = MutableText(op.node, op.name);
      for (const IdSpan& span : op.spans) text->Delete(span);
      NoteNodeEdit(op.node, op.LastId());
      break;
    }
    case OpKind::kInsertTableLine:
      tables_[FieldKey{op.node, op.name}].InsertLine(op.axis, op.id, op.left,
                                                     op.right);
      NoteNodeEdit(op.node, op.id);
      break;
    case OpKind::kDeleteTableLine:
      tables_[FieldKey{op.node, op.name}].DeleteLine(op.axis, op.target);
      NoteNodeEdit(op.node, op.id);
      break;
    case OpKind::kSetCell:
      tables_[FieldKey{op.node, op.name}].SetCell(op.target, op.column, op.id,
                                                  op.lamport, op.value,
                                                  op.supersedes, op.author);
      NoteNodeEdit(op.node, op.id);
      break;
    default:
      review_.Integrate(op);
      break;
  }
}

uint64_t Replica::LamportOf(OpId id) const {
  if (id.replica == 0) return 0;
  auto it = lamports_.find(id.replica);
  if (it == lamports_.end()) return 0;
  const auto& runs = it->second;
  auto run = std::upper_bound(
      runs.begin(), runs.end(), id.counter,
      [](uint64_t c, const LamportRun& r) { return c < r.counter; });
  if (run == runs.begin()) return 0;
  --run;
  if (id.counter >= run->counter + run->length) return 0;
  return run->lamport + (id.counter - run->counter);
}


bool Replica::RecordInPlace(const Op& op) {
  const ReplicaId r = op.id.replica;
  const uint64_t length = op.Length();
  const OpId prev{r, op.id.counter - 1};
  const OpId last{r, op.id.counter + length - 1};

  // Lamport clock bookkeeping, run-length encoded.
  auto& runs = lamports_[r];
  if (!runs.empty() &&
      runs.back().counter + runs.back().length == op.id.counter &&
      runs.back().lamport + runs.back().length == op.lamport) {
    runs.back().length += length;
  } else {
    runs.push_back(LamportRun{op.id.counter, op.lamport, length});
  }
  max_lamport_ = std::max(max_lamport_, op.lamport + length - 1);

  // Frontier: the op supersedes what it depends on.
  const bool continues_frontier =
      op.deps.size() == 1 && op.deps[0] == prev && frontier_.size() == 1 &&
      frontier_[0] == prev;
  if (continues_frontier) {
    frontier_[0] = last;
  } else {
    std::vector<OpId> next;
    for (const OpId& f : frontier_) {
      const bool covered =
          (f.replica == r && f.counter < op.id.counter) ||
          std::find(op.deps.begin(), op.deps.end(), f) != op.deps.end();
      if (!covered) next.push_back(f);
    }
    next.push_back(last);
    std::sort(next.begin(), next.end());
    frontier_ = std::move(next);
  }

  // Extend the previous log entry when this op continues it (a burst of
  // typing or backspacing), so history costs little memory.
  if (!log_.empty() && version_.Get(r) == prev.counter && prev.counter > 0 &&
      op.deps.size() == 1 && op.deps[0] == prev) {
    Op& tail = log_.back();
    if (tail.id.replica == r && tail.kind == op.kind &&
        (op.kind == OpKind::kInsertText || op.kind == OpKind::kDeleteText) &&
        tail.node == op.node && tail.name == op.name &&
        tail.author == op.author && LamportOf(prev) + 1 == op.lamport) {
      if (op.kind == OpKind::kInsertText && op.left == prev &&
          op.right == tail.right) {
        tail.text += op.text;
        version_.Set(r, last.counter);
        return true;
      }
      if (op.kind == OpKind::kDeleteText) {
        for (const IdSpan& s : op.spans) AppendSpan(&tail.spans, s);
        version_.Set(r, last.counter);
        return true;
      }
    }
  }
  version_.Set(r, last.counter);
  return false;
}

void Replica::Record(const Op& op) {
  if (RecordInPlace(op)) return;
  log_by_replica_[op.id.replica].push_back(log_.size());
  log_.push_back(op);
}

void Replica::Record(Op&& op) {
  if (RecordInPlace(op)) return;
  log_by_replica_[op.id.replica].push_back(log_.size());
  log_.push_back(std::move(op));
}

// ----------------------------------------------------------- remote ops --

OpId Replica::FirstUnknownReference(const Op& op) const {
  for (const OpId& dep : op.deps) {
    if (!version_.Includes(dep)) return dep;
  }
  // Every id the op refers to must be known too, even when the author did
  // not list it as a dependency: otherwise the outcome would depend on
  // delivery (or storage) order. Known-but-wrong ids are rejected later.
  for (const OpId& ref : {op.node, op.parent, op.left, op.right, op.target,
                          op.column}) {
    if (!version_.Includes(ref)) return ref;
  }
  for (const OpId& ref : op.supersedes) {
    if (!version_.Includes(ref)) return ref;
  }
  for (const IdSpan& span : op.spans) {
    const OpId last{span.replica, span.counter + span.length - 1};
    if (!version_.Includes(last)) return last;
  }
  return kNullId;
}

bool Replica::Ready(const Op& op) const {
  if (op.id.counter > version_.Get(op.id.replica) + 1) return false;
  return FirstUnknownReference(op).IsNull();
}

Status Replica::CheckRemoteOp(const Op& op, uint64_t max_lamport) const {
  SAMPLAN_RETURN_IF_ERROR(CheckOpShape(op));
  auto bad = [&](const std::string& what) {
    return Status::InvalidArgument(DescribeOp(op) + ": " + what);
  };
  const uint64_t known = version_.Get(op.id.replica);
  if (op.id.counter > known + 1) {
    return Status::NotFound(DescribeOp(op) + ": operations " +
                            std::to_string(op.id.replica) + ":" +
                            std::to_string(known + 1) + ".." +
                            std::to_string(op.id.counter - 1) +
                            " are missing");
  }
  if (op.deps.size() > kMaxDeps) {
    return bad("more than " + std::to_string(kMaxDeps) + " dependencies");
  }
  if (op.spans.size() > kMaxSpans) {
    return bad("more than " + std::to_string(kMaxSpans) +
               " delete spans (split the delete into several operations)");
  }
  if (op.deps.size() > 1) {
    std::vector<ReplicaId> replicas;
    replicas.reserve(op.deps.size());
    for (const OpId& dep : op.deps) replicas.push_back(dep.replica);
    std::sort(replicas.begin(), replicas.end());
    auto twice = std::adjacent_find(replicas.begin(), replicas.end());
    if (twice != replicas.end()) {
      return bad("two dependencies on replica " + std::to_string(*twice) +
                 " (dependencies are a frontier: one per replica)");
    }
  }
  const OpId unknown = FirstUnknownReference(op);
  if (!unknown.IsNull()) {
    return Status::NotFound(DescribeOp(op) + ": names " + unknown.ToString() +
                            ", which is unknown here");
  }
  const uint64_t last_lamport = op.lamport + op.Length() - 1;
  if (last_lamport < op.lamport || last_lamport > max_lamport) {
    return bad("lamport timestamp " + std::to_string(op.lamport) +
               " runs ahead of the plan's clock (its last unit may be at "
               "most " + std::to_string(max_lamport) + ")");
  }
  // Causally after everything it names: its Lamport is above theirs. Ids
  // of this op's own replica at or past its counter are its own units.
  auto after = [&](OpId ref, const char* what) -> Status {
    if (ref.replica == 0) return Status::OK();
    if (ref.replica == op.id.replica && ref.counter >= op.id.counter) {
      return bad(std::string(what) + " " + ref.ToString() +
                 " is this operation or a later one");
    }
    if (LamportOf(ref) >= op.lamport) {
      return bad("lamport timestamp " + std::to_string(op.lamport) +
                 " is not after that of " + what + " " + ref.ToString() +
                 " (" + std::to_string(LamportOf(ref)) + ")");
    }
    return Status::OK();
  };
  if (op.id.counter > 1) {
    SAMPLAN_RETURN_IF_ERROR(
        after(OpId{op.id.replica, op.id.counter - 1}, "its predecessor"));
  }
  for (const OpId& dep : op.deps) {
    SAMPLAN_RETURN_IF_ERROR(after(dep, "dependency"));
  }
  for (const OpId& ref : {op.node, op.parent, op.left, op.right, op.target,
                          op.column}) {
    SAMPLAN_RETURN_IF_ERROR(after(ref, "referenced operation"));
  }
  for (const OpId& ref : op.supersedes) {
    SAMPLAN_RETURN_IF_ERROR(after(ref, "superseded write"));
  }
  if (!op.spans.empty()) {
    // Lamports grow with the counter within a replica, so a span's last id
    // has its highest Lamport.
    std::vector<IdSpan> spans = op.spans;
    for (const IdSpan& span : spans) {
      SAMPLAN_RETURN_IF_ERROR(
          after(OpId{span.replica, span.counter + span.length - 1},
                op.kind == OpKind::kDeleteText ? "deleted character"
                                               : "named operation"));
    }
    std::sort(spans.begin(), spans.end(),
              [](const IdSpan& a, const IdSpan& b) {
                return a.replica != b.replica ? a.replica < b.replica
                                              : a.counter < b.counter;
              });
    for (size_t i = 1; i < spans.size(); ++i) {
      const IdSpan& prev = spans[i - 1];
      if (prev.replica == spans[i].replica &&
          spans[i].counter < prev.counter + prev.length) {
        return bad("delete spans overlap at " +
                   OpId{spans[i].replica, spans[i].counter}.ToString());
      }
    }
  }
  return Status::OK();
}

Status Replica::ApplyReady(const Op& op) {
  const OpId prev{op.id.replica, op.id.counter - 1};
  if (prev.counter > 0 && LamportOf(prev) >= op.lamport) {
    return Status::InvalidArgument(
        DescribeOp(op) + ": lamport timestamp " + std::to_string(op.lamport) +
        " is not after that of its predecessor " + prev.ToString());
  }
  for (const OpId& dep : op.deps) {
    if (LamportOf(dep) >= op.lamport) {
      return Status::InvalidArgument(
          DescribeOp(op) + ": lamport timestamp " +
          std::to_string(op.lamport) + " is not after that of dependency " +
          dep.ToString());
    }
  }
  SAMPLAN_RETURN_IF_ERROR(Validate(op));
  Integrate(op);
  Record(op);
  return Status::OK();
}

Status Replica::Apply(const Op& op) {
  SAMPLAN_RETURN_IF_ERROR(CheckOpShape(op));
  const uint64_t known = version_.Get(op.id.replica);
  const uint64_t length = op.Length();
  if (op.id.counter + length - 1 <= known) return Status::OK();  // duplicate
  if (!Ready(op)) {
    for (const Op& p : pending_) {
      if (p.id == op.id && p.Length() == length) return Status::OK();
    }
    if (pending_.size() >= kMaxPending) {
      return Status::FailedPrecondition(
          "too many operations waiting for missing dependencies");
    }
    pending_.push_back(op);
    return Status::OK();
  }
  Status s = op.id.counter <= known
                 ? ApplyReady(SliceOpFrom(op, known + 1 - op.id.counter))
                 : ApplyReady(op);
  if (!s.ok()) return s;
  if (!pending_.empty()) DrainPending();
  return Status::OK();
}

void Replica::DrainPending() {
  bool progress = true;
  while (progress && !pending_.empty()) {
    progress = false;
    for (size_t i = 0; i < pending_.size();) {
      const Op& op = pending_[i];
      const uint64_t known = version_.Get(op.id.replica);
      if (op.id.counter + op.Length() - 1 <= known) {
        pending_.erase(pending_.begin() + i);
        continue;
      }
      if (!Ready(op)) {
        ++i;
        continue;
      }
      Op ready = op.id.counter <= known
                     ? SliceOpFrom(op, known + 1 - op.id.counter)
                     : std::move(pending_[i]);
      pending_.erase(pending_.begin() + i);
      // An invalid held-back op is dropped: it can never become valid.
      Status s = ApplyReady(ready);
      if (s.ok()) {
        progress = true;
      } else {
        if (pending_errors_.size() == kMaxPendingErrors) {
          pending_errors_.erase(pending_errors_.begin());
        }
        pending_errors_.push_back(s);
      }
    }
  }
}

std::vector<Status> Replica::TakePendingErrors() {
  std::vector<Status> out;
  out.swap(pending_errors_);
  return out;
}

Status Replica::ApplyAll(const std::vector<Op>& ops) {
  for (const Op& op : ops) SAMPLAN_RETURN_IF_ERROR(Apply(op));
  return Status::OK();
}

Status Replica::OpsSince(const VersionVector& since,
                         std::vector<Op>* out) const {
  for (const auto& [replica, counter] : log_start_.entries()) {
    if (since.Get(replica) < counter) {
      return Status::FailedPrecondition(
          "this replica holds no history before " + log_start_.ToString() +
          "; the peer (at " + since.ToString() + ") needs a snapshot");
    }
  }
  out->clear();
  std::vector<size_t> positions;
  for (const auto& [replica, entries] : log_by_replica_) {
    const uint64_t known = since.Get(replica);
    // First op starting after what the peer knows; the op before it may
    // straddle the boundary (its last unit is just before the next op's
    // first, or this replica's latest for the final op).
    auto it = std::partition_point(
        entries.begin(), entries.end(),
        [&](size_t pos) { return log_[pos].id.counter <= known; });
    if (it != entries.begin()) {
      const uint64_t prev_last = it == entries.end()
                                     ? version_.Get(replica)
                                     : log_[*it].id.counter - 1;
      if (prev_last > known) --it;
    }
    positions.insert(positions.end(), it, entries.end());
  }
  std::sort(positions.begin(), positions.end());  // log order is causal
  out->reserve(positions.size());
  for (size_t pos : positions) {
    const Op& op = log_[pos];
    const uint64_t known = since.Get(op.id.replica);
    if (op.id.counter > known) {
      out->push_back(op);
    } else {
      out->push_back(SliceOpFrom(op, known + 1 - op.id.counter));
    }
  }
  return Status::OK();
}

// ------------------------------------------------------------- checking --

Status Replica::CheckInvariants() const {
  SAMPLAN_RETURN_IF_ERROR(tree_.CheckInvariants());
  for (const auto& [key, text] : texts_) {
    if (!tree_.Exists(key.node)) {
      return Status::Corruption("text of unknown node " + key.node.ToString());
    }
    Status s = text.CheckInvariants();
    if (!s.ok()) {
      return Status::Corruption("text '" + key.name + "' of " +
                                key.node.ToString() + ": " + s.message());
    }
  }
  for (const auto& [key, reg] : fields_) {
    if (!tree_.Exists(key.node)) {
      return Status::Corruption("field of unknown node " + key.node.ToString());
    }
  }
  for (const OpId& f : frontier_) {
    if (!version_.Includes(f)) {
      return Status::Corruption("frontier holds unknown op " + f.ToString());
    }
  }
  // The log accounts for exactly the ops known since the log started.
  VersionVector counted = log_start_;
  for (const Op& op : log_) {
    if (op.id.counter != counted.Get(op.id.replica) + 1) {
      return Status::Corruption("log has a gap before " + op.id.ToString());
    }
    counted.Set(op.id.replica, op.LastId().counter);
  }
  if (!(counted == version_)) {
    return Status::Corruption("log covers " + counted.ToString() +
                              " but the version is " + version_.ToString());
  }
  return Status::OK();
}

uint64_t Replica::TotalTextChars() const {
  uint64_t total = 0;
  for (const auto& [key, text] : texts_) total += text.total_size();
  return total;
}

size_t Replica::MemoryUsage() const {
  size_t bytes = sizeof(*this);
  for (const auto& [key, text] : texts_) {
    bytes += sizeof(key) + key.name.capacity() + text.MemoryUsage();
  }
  for (const Op& op : log_) {
    bytes += sizeof(Op) + op.text.capacity() + op.name.capacity() +
             op.deps.capacity() * sizeof(OpId) +
             op.spans.capacity() * sizeof(IdSpan);
  }
  for (const auto& [r, runs] : lamports_) {
    bytes += runs.capacity() * sizeof(LamportRun) + 48;
  }
  bytes += fields_.size() * (sizeof(FieldKey) + sizeof(MultiValueRegister) + 64);
  bytes += tree_.node_count() * 160;
  return bytes;
}

}  // namespace samplan
