// DiffToMarkdown (diff_json.h): the diff as a report for council papers.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "crdt/utf8.h"
#include "protocol/diff_json.h"
#include "protocol/history_json.h"

namespace samplan::protocol {
namespace {

struct Words {
  const char* title;
  const char* from;
  const char* to;
  const char* seq;
  const char* summary;
  const char* what;
  const char* count;
  const char* no_changes;
  const char* structure;
  const char* added;
  const char* removed;
  const char* moved;
  const char* renumbered;
  const char* content;
  const char* review;
  const char* text;
  const char* fields;
  const char* field;
  const char* before;
  const char* after;
  const char* by;
  const char* table;
  const char* row;
  const char* column;
  const char* header;
  const char* inserted_by;
  const char* deleted_by;
  const char* also_deleted_by;
  const char* with_subnodes;  // "(%zu underpunkter)"
  const char* conflict;
  const char* yes;
  const char* no;
  const char* unknown;
  const char* rows_added;
  const char* rows_removed;
  const char* columns_added;
  const char* columns_removed;
  const char* table_created;
  const char* opened;
  const char* resolved;
  const char* reopened;
  const char* accepted;
  const char* rejected;
  const char* approved;
  const char* revoked;
  const char* orphaned;
  const char* reason;
  const char* node_removed;
  const char* more;  // "… and %zu more"
  // Summary rows.
  const char* s_ops;
  const char* s_added;
  const char* s_removed;
  const char* s_moved;
  const char* s_renumbered;
  const char* s_fields;
  const char* s_cells;
  const char* s_inserted;
  const char* s_deleted;
  const char* s_opened;
  const char* s_resolved;
  const char* s_reopened;
  const char* s_accepted;
  const char* s_rejected;
  const char* s_approved;
  const char* s_revoked;
  // Node kinds, in kKinds order.
  const char* kinds[12];
};

constexpr const char* kKinds[12] = {
    "plan",       "chapter", "goal",      "subgoal",  "measure",     "indicator",
    "text_block", "list",    "list_item", "footnote", "stakeholder", "adoption"};

const Words kNb = {
    "Endringsrapport", "Fra", "Til", "sekvens", "Sammendrag", "Hva", "Antall",
    "Ingen endringer.", "Endringer i strukturen", "Nye punkter",
    "Fjernede punkter", "Flyttede punkter", "Nye nummer",
    "Endringer per punkt", "Merknader og godkjenning", "Tekst", "Felt",
    "Felt", "Før", "Etter", "Endret av", "Tabell", "Rad", "Kolonne",
    "overskrift", "Satt inn av", "Slettet av", "også slettet av",
    "(med %zu underpunkter)", "konflikt", "ja", "nei", "ukjent",
    "Nye rader", "Fjernede rader", "Nye kolonner", "Fjernede kolonner",
    "Tabellen ble opprettet.", "Tråder åpnet", "Tråder løst",
    "Tråder gjenåpnet", "Forslag godtatt", "Forslag avvist",
    "Godkjenninger gitt", "Godkjenninger trukket", "forankringen er borte",
    "begrunnelse", "punktet er fjernet", "… og %zu til",
    "Operasjoner", "Nye punkter", "Fjernede punkter", "Flyttede punkter",
    "Punkter med nytt nummer", "Felt endret", "Tabellceller endret",
    "Tegn satt inn", "Tegn slettet", "Tråder åpnet", "Tråder løst",
    "Tråder gjenåpnet", "Forslag godtatt", "Forslag avvist",
    "Godkjenninger gitt", "Godkjenninger trukket",
    {"plan", "kapittel", "mål", "delmål", "tiltak", "indikator", "tekstblokk",
     "liste", "listepunkt", "fotnote", "aktør", "vedtak"}};

const Words kSv = {
    "Ändringsrapport", "Från", "Till", "sekvens", "Sammanfattning", "Vad",
    "Antal", "Inga ändringar.", "Ändringar i strukturen", "Nya punkter",
    "Borttagna punkter", "Flyttade punkter", "Nya nummer",
    "Ändringar per punkt", "Kommentarer och godkännande", "Text", "Fält",
    "Fält", "Före", "Efter", "Ändrad av", "Tabell", "Rad", "Kolumn",
    "rubrik", "Infogat av", "Raderat av", "också raderat av",
    "(med %zu underpunkter)", "konflikt", "ja", "nej", "okänd",
    "Nya rader", "Borttagna rader", "Nya kolumner", "Borttagna kolumner",
    "Tabellen skapades.", "Trådar öppnade", "Trådar lösta",
    "Trådar återöppnade", "Förslag godtagna", "Förslag avvisade",
    "Godkännanden givna", "Godkännanden återkallade", "förankringen är borta",
    "motivering", "punkten är borttagen", "… och %zu till",
    "Operationer", "Nya punkter", "Borttagna punkter", "Flyttade punkter",
    "Punkter med nytt nummer", "Fält ändrade", "Tabellceller ändrade",
    "Tecken infogade", "Tecken raderade", "Trådar öppnade", "Trådar lösta",
    "Trådar återöppnade", "Förslag godtagna", "Förslag avvisade",
    "Godkännanden givna", "Godkännanden återkallade",
    {"plan", "kapitel", "mål", "delmål", "åtgärd", "indikator", "textblock",
     "lista", "listpunkt", "fotnot", "aktör", "beslut"}};

const Words kEn = {
    "Change report", "From", "To", "seq", "Summary", "What", "Count",
    "No changes.", "Structure changes", "Added items", "Removed items",
    "Moved items", "Renumbered items", "Changes per item",
    "Comments and approval", "Text", "Fields", "Field", "Before", "After",
    "Changed by", "Table", "Row", "Column", "header", "Inserted by",
    "Deleted by", "also deleted by", "(with %zu sub-items)", "conflict",
    "yes", "no", "unknown", "Rows added", "Rows removed", "Columns added",
    "Columns removed", "The table was created.", "Threads opened",
    "Threads resolved", "Threads reopened", "Suggestions accepted",
    "Suggestions rejected", "Approvals given", "Approvals revoked",
    "its anchor is gone", "reason", "the item was removed",
    "… and %zu more", "Operations", "Items added", "Items removed",
    "Items moved", "Items renumbered", "Fields changed",
    "Table cells changed", "Characters inserted", "Characters deleted",
    "Threads opened", "Threads resolved", "Threads reopened",
    "Suggestions accepted", "Suggestions rejected", "Approvals given",
    "Approvals revoked",
    {"plan", "chapter", "goal", "subgoal", "measure", "indicator",
     "text block", "list", "list item", "footnote", "stakeholder",
     "adoption"}};

// Most entries listed per list; the rest are counted.
constexpr size_t kMaxListed = 200;
// Context kept around a text change, code points each side.
constexpr size_t kContext = 40;

class Report {
 public:
  Report(const PlanDiff& diff, const Replica& older, const Words& w,
         const DiffNameOf& name_of)
      : diff_(diff), older_(older), w_(w), name_of_(name_of) {}

  std::string Render(std::string_view from_label, std::string_view to_label) {
    out_ += "# " + std::string(w_.title) + "\n\n";
    out_ += "- **" + std::string(w_.from) + ":** " + Point(from_label, diff_.from_seq,
                                                         diff_.from_time) + "\n";
    out_ += "- **" + std::string(w_.to) + ":** " + Point(to_label, diff_.to_seq,
                                                       diff_.to_time) + "\n\n";
    Summary();
    Structure();
    Content();
    Review();
    return std::move(out_);
  }

 private:
  // ---- Formatting helpers.

  static std::string Escape(std::string_view s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
      switch (c) {
        case '\\': case '`': case '*': case '_': case '~': case '[':
        case ']': case '<': case '>': case '#': case '|': case '!':
        case '{': case '}':
          o += '\\';
          o += c;
          break;
        case '\n':
          o += " ¶ ";
          break;
        case '\r': case '\t':
          o += ' ';
          break;
        default:
          o += c;
      }
    }
    return o;
  }

  static std::string Time(int64_t ms) {
    if (ms <= 0) return "";
    // "2026-06-21T10:00:00.000Z" -> "2026-06-21 10:00 UTC".
    std::string t = FormatUtc(ms);
    const size_t tee = t.find('T');
    if (tee == std::string::npos || t.size() < tee + 6) return t;
    return t.substr(0, tee) + " " + t.substr(tee + 1, 5) + " UTC";
  }

  std::string Point(std::string_view label, uint64_t seq, int64_t time) const {
    std::string s;
    if (!label.empty()) s += Escape(label) + " (";
    s += std::string(w_.seq) + " " + std::to_string(seq);
    const std::string t = Time(time);
    if (!t.empty()) s += ", " + t;
    if (!label.empty()) s += ")";
    return s;
  }

  std::string Who(const DiffBy& by) const {
    if (by.seq == 0 && by.author.user.empty()) return w_.unknown;
    std::string name = name_of_ ? name_of_(by.author.user) : std::string();
    std::string s = Escape(name.empty() ? by.author.user : name);
    if (!by.author.municipality.empty()) s += " (" + Escape(by.author.municipality) + ")";
    const std::string t = Time(by.author.wall_time_ms);
    if (!t.empty()) s += ", " + t;
    return s;
  }

  std::string KindName(const std::string& kind) const {
    for (size_t i = 0; i < 12; ++i) {
      if (kind == kKinds[i]) return w_.kinds[i];
    }
    return Escape(kind);
  }

  std::string Node(const DiffNode& n) const {
    std::string s = n.number.empty() ? "" : n.number + " ";
    s += n.title.empty() ? "(" + KindName(n.kind) + ")" : Escape(n.title);
    return s;
  }

  std::string Value(const ValueState& v) const {
    if (!v.set) return "—";
    std::string s = Plain(v.value);
    if (!v.conflicts.empty()) {
      s += " (" + std::string(w_.conflict) + ": ";
      for (size_t i = 0; i < v.conflicts.size(); ++i) {
        if (i > 0) s += ", ";
        s += Plain(v.conflicts[i]);
      }
      s += ")";
    }
    return s;
  }

  std::string Plain(const FieldValue& v) const {
    switch (v.type) {
      case ValueType::kNull:
        return "—";
      case ValueType::kBool:
        return v.b ? w_.yes : w_.no;
      case ValueType::kInt:
        return std::to_string(v.i);
      case ValueType::kNumber: {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", v.d);
        return buf;
      }
      case ValueType::kString:
      case ValueType::kDate:
        return Escape(v.s);
      case ValueType::kStringList: {
        std::string s;
        for (size_t i = 0; i < v.list.size(); ++i) {
          if (i > 0) s += ", ";
          s += Escape(v.list[i]);
        }
        return s;
      }
    }
    return "";
  }

  void More(size_t listed, size_t total) {
    if (total <= listed) return;
    char buf[128];
    std::snprintf(buf, sizeof buf, w_.more, total - listed);
    out_ += "- " + std::string(buf) + "\n";
  }

  // ---- Sections.

  void Summary() {
    const DiffStats& s = diff_.stats;
    out_ += "## " + std::string(w_.summary) + "\n\n";
    const std::pair<const char*, size_t> rows[] = {
        {w_.s_ops, s.ops},
        {w_.s_added, s.nodes_added},
        {w_.s_removed, s.nodes_removed},
        {w_.s_moved, s.nodes_moved},
        {w_.s_renumbered, s.nodes_renumbered},
        {w_.s_fields, s.fields_changed},
        {w_.s_cells, s.cells_changed},
        {w_.s_inserted, s.chars_inserted},
        {w_.s_deleted, s.chars_deleted},
        {w_.s_opened, s.threads_opened},
        {w_.s_resolved, s.threads_resolved},
        {w_.s_reopened, s.threads_reopened},
        {w_.s_accepted, s.suggestions_accepted},
        {w_.s_rejected, s.suggestions_rejected},
        {w_.s_approved, s.approvals_given},
        {w_.s_revoked, s.approvals_revoked},
    };
    const bool none = diff_.added.empty() && diff_.removed.empty() &&
                      diff_.moved.empty() && diff_.changes.empty() &&
                      s.threads_opened + s.threads_resolved + s.threads_reopened +
                              s.suggestions_accepted + s.suggestions_rejected +
                              s.approvals_given + s.approvals_revoked ==
                          0;
    if (none) {
      out_ += std::string(w_.no_changes) + "\n\n";
      return;
    }
    out_ += "| " + std::string(w_.what) + " | " + w_.count + " |\n|---|---:|\n";
    for (const auto& [label, n] : rows) {
      if (n != 0) out_ += "| " + std::string(label) + " | " + std::to_string(n) + " |\n";
    }
    out_ += "\n";
  }

  void Structure() {
    if (diff_.added.empty() && diff_.removed.empty() && diff_.moved.empty() &&
        diff_.renumbered.empty()) {
      return;
    }
    out_ += "## " + std::string(w_.structure) + "\n\n";
    if (!diff_.added.empty()) {
      out_ += "### " + std::string(w_.added) + "\n\n";
      size_t n = 0;
      for (const NodeAdded& a : diff_.added) {
        if (n++ == kMaxListed) break;
        out_ += "- " + Node(a.node) + " — " + KindName(a.node.kind) + "; " +
                Who(a.by) + "\n";
      }
      More(std::min(kMaxListed, diff_.added.size()), diff_.added.size());
      out_ += "\n";
    }
    if (!diff_.removed.empty()) {
      out_ += "### " + std::string(w_.removed) + "\n\n";
      // Top-level removals only; the nodes removed with them are counted.
      std::vector<size_t> under(diff_.removed.size(), 0);
      std::vector<size_t> tops;
      for (size_t i = 0; i < diff_.removed.size(); ++i) {
        if (diff_.removed[i].with_parent && !tops.empty()) {
          ++under[tops.back()];
        } else {
          tops.push_back(i);
        }
      }
      size_t n = 0;
      for (size_t i : tops) {
        if (n++ == kMaxListed) break;
        const NodeRemoved& r = diff_.removed[i];
        out_ += "- " + Node(r.node) + " — " + KindName(r.node.kind);
        if (under[i] > 0) {
          char buf[96];
          std::snprintf(buf, sizeof buf, w_.with_subnodes, under[i]);
          out_ += std::string(" ") + buf;
        }
        out_ += "; " + Who(r.by) + "\n";
      }
      More(std::min(kMaxListed, tops.size()), tops.size());
      out_ += "\n";
    }
    if (!diff_.moved.empty()) {
      out_ += "### " + std::string(w_.moved) + "\n\n";
      size_t n = 0;
      for (const NodeMoved& m : diff_.moved) {
        if (n++ == kMaxListed) break;
        out_ += "- " + (m.node.title.empty() ? "(" + KindName(m.node.kind) + ")"
                                             : Escape(m.node.title)) +
                ": " + m.old_number + " → " + m.node.number + "; " + Who(m.by) +
                "\n";
      }
      More(std::min(kMaxListed, diff_.moved.size()), diff_.moved.size());
      out_ += "\n";
    }
    if (!diff_.renumbered.empty()) {
      out_ += "### " + std::string(w_.renumbered) + "\n\n";
      size_t n = 0;
      for (const NodeRenumbered& r : diff_.renumbered) {
        if (n++ == kMaxListed) break;
        out_ += "- " + (r.node.title.empty() ? "(" + KindName(r.node.kind) + ")"
                                             : Escape(r.node.title)) +
                ": " + r.old_number + " → " + r.node.number + "\n";
      }
      More(std::min(kMaxListed, diff_.renumbered.size()), diff_.renumbered.size());
      out_ += "\n";
    }
  }

  // The changed text in context: retained stretches longer than twice the
  // context are cut to their ends; deletions struck through, insertions
  // bold. Then who inserted and deleted what.
  void Text(OpId node, const TextChange& t) {
    out_ += "**" + std::string(w_.text) + ": " + Escape(t.name) + "**\n\n";
    std::u32string old;
    if (Result<std::string> s = older_.Text(node, t.name); s.ok()) {
      if (Result<std::u32string> d = utf8::Decode(*s); d.ok()) old = std::move(*d);
    }
    std::string line = "> ";
    size_t at = 0;
    for (size_t i = 0; i < t.pieces.size(); ++i) {
      const TextPiece& p = t.pieces[i];
      if (p.kind == TextPiece::Kind::kRetain) {
        const size_t end = std::min(old.size(), at + p.length);
        const std::u32string_view run(old.data() + std::min(at, old.size()),
                                      end - std::min(at, old.size()));
        const bool first = i == 0, last = i + 1 == t.pieces.size();
        if (run.size() <= 2 * kContext) {
          line += Escape(utf8::Encode(run));
        } else {
          if (!first) line += Escape(utf8::Encode(run.substr(0, kContext)));
          line += " … ";
          if (!last) line += Escape(utf8::Encode(run.substr(run.size() - kContext)));
        }
        at += p.length;
      } else if (p.kind == TextPiece::Kind::kDelete) {
        line += "~~" + Escape(p.text) + "~~";
        at += p.length;
      } else {
        line += "**" + Escape(p.text) + "**";
      }
    }
    out_ += line + "\n\n";
    size_t n = 0, total = 0;
    for (const TextPiece& p : t.pieces) {
      if (p.kind == TextPiece::Kind::kRetain) continue;
      ++total;
      if (n == kMaxListed) continue;
      ++n;
      std::string excerpt = p.text;
      if (p.length > 80) {
        excerpt = excerpt.substr(0, utf8::ByteOffsetOf(excerpt, 80)) + "…";
      }
      out_ += "- " +
              std::string(p.kind == TextPiece::Kind::kInsert ? w_.inserted_by
                                                             : w_.deleted_by) +
              " " + Who(p.by) + ": «" + Escape(excerpt) + "»";
      if (!p.also.empty()) {
        out_ += " (" + std::string(w_.also_deleted_by) + " ";
        for (size_t k = 0; k < p.also.size(); ++k) {
          if (k > 0) out_ += "; ";
          out_ += Who(p.also[k]);
        }
        out_ += ")";
      }
      out_ += "\n";
    }
    More(n, total);
    out_ += "\n";
  }

  void Fields(const std::vector<FieldChange>& fields) {
    out_ += "**" + std::string(w_.fields) + "**\n\n";
    out_ += "| " + std::string(w_.field) + " | " + w_.before + " | " + w_.after +
            " | " + w_.by + " |\n|---|---|---|---|\n";
    for (const FieldChange& f : fields) {
      out_ += "| " + Escape(f.name) + " | " + Value(f.old_value) + " | " +
              Value(f.new_value) + " | " + Who(f.by) + " |\n";
    }
    out_ += "\n";
  }

  static std::string LineName(OpId id) { return id.IsNull() ? "" : id.ToString(); }

  void TableSection(const TableChange& t) {
    out_ += "**" + std::string(w_.table) + ": " + Escape(t.name) + "**\n\n";
    if (t.created) out_ += std::string(w_.table_created) + "\n\n";
    auto lines = [&](const char* label, const std::vector<LineChange>& v) {
      if (v.empty()) return;
      out_ += "- " + std::string(label) + ": " + std::to_string(v.size()) + "\n";
    };
    lines(w_.rows_added, t.rows_added);
    lines(w_.rows_removed, t.rows_removed);
    lines(w_.columns_added, t.columns_added);
    lines(w_.columns_removed, t.columns_removed);
    if (!t.rows_added.empty() || !t.rows_removed.empty() ||
        !t.columns_added.empty() || !t.columns_removed.empty()) {
      out_ += "\n";
    }
    if (t.cells.empty()) return;
    out_ += "| " + std::string(w_.row) + " | " + w_.column + " | " + w_.before +
            " | " + w_.after + " | " + w_.by + " |\n|---|---|---|---|---|\n";
    size_t n = 0;
    for (const CellChange& c : t.cells) {
      if (n++ == kMaxListed) break;
      out_ += "| " + (c.row.IsNull() ? std::string(w_.header) : RowLabel(t, c.row)) +
              " | " + (c.column.IsNull() ? std::string(w_.header) : ColumnLabel(t, c.column)) +
              " | " + Value(c.old_value) + " | " + Value(c.new_value) + " | " +
              Who(c.by) + " |\n";
    }
    out_ += "\n";
    if (t.cells.size() > kMaxListed) {
      More(kMaxListed, t.cells.size());
      out_ += "\n";
    }
  }

  // A line is named by its header's value when the diff has it, else by
  // its id.
  std::string RowLabel(const TableChange& t, OpId row) const {
    for (const CellChange& c : t.cells) {
      if (c.row == row && c.column.IsNull() && c.new_value.set) return Value(c.new_value);
    }
    return LineName(row);
  }
  std::string ColumnLabel(const TableChange& t, OpId column) const {
    for (const CellChange& c : t.cells) {
      if (c.column == column && c.row.IsNull() && c.new_value.set) {
        return Value(c.new_value);
      }
    }
    return LineName(column);
  }

  void Content() {
    if (diff_.changes.empty()) return;
    out_ += "## " + std::string(w_.content) + "\n\n";
    for (const NodeChanges& c : diff_.changes) {
      out_ += "### " + Node(c.node) + "\n\n";
      for (const TextChange& t : c.texts) Text(c.node.id, t);
      if (!c.fields.empty()) Fields(c.fields);
      for (const TableChange& t : c.tables) TableSection(t);
    }
  }

  void Items(const char* label, const std::vector<ReviewChange>& items) {
    if (items.empty()) return;
    out_ += "### " + std::string(label) + "\n\n";
    size_t n = 0;
    for (const ReviewChange& r : items) {
      if (n++ == kMaxListed) break;
      out_ += "- " + Node(r.node);
      if (r.node_removed) out_ += " (" + std::string(w_.node_removed) + ")";
      if (r.what == "approval") {
        out_ += ": " + Escape(r.field);
      } else {
        if (!r.field.empty()) out_ += ", " + Escape(r.field);
        if (!r.text.empty()) out_ += ": «" + Escape(r.text) + "»";
      }
      if (r.orphaned) out_ += " (" + std::string(w_.orphaned) + ")";
      if (!r.reason.empty()) {
        out_ += " — " + std::string(w_.reason) + ": «" + Escape(r.reason) + "»";
      }
      out_ += "; " + Who(r.by) + "\n";
    }
    More(std::min(kMaxListed, items.size()), items.size());
    out_ += "\n";
  }

  void Review() {
    const ReviewChanges& rv = diff_.review;
    if (rv.opened.empty() && rv.resolved.empty() && rv.reopened.empty() &&
        rv.accepted.empty() && rv.rejected.empty() && rv.approved.empty() &&
        rv.revoked.empty()) {
      return;
    }
    out_ += "## " + std::string(w_.review) + "\n\n";
    Items(w_.opened, rv.opened);
    Items(w_.resolved, rv.resolved);
    Items(w_.reopened, rv.reopened);
    Items(w_.accepted, rv.accepted);
    Items(w_.rejected, rv.rejected);
    Items(w_.approved, rv.approved);
    Items(w_.revoked, rv.revoked);
  }

  const PlanDiff& diff_;
  const Replica& older_;
  const Words& w_;
  const DiffNameOf& name_of_;
  std::string out_;
};

}  // namespace

bool IsDiffLanguage(std::string_view lang) {
  return lang == "nb" || lang == "sv" || lang == "en";
}

std::string DiffToMarkdown(const PlanDiff& diff, const Replica& older,
                           const Replica& newer, std::string_view lang,
                           std::string_view from_label,
                           std::string_view to_label,
                           const DiffNameOf& name_of) {
  (void)newer;
  const Words& w = lang == "sv" ? kSv : lang == "en" ? kEn : kNb;
  Report report(diff, older, w, name_of);
  return report.Render(from_label, to_label);
}

}  // namespace samplan::protocol
