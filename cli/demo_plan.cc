#include "cli/demo_plan.h"

#include <string_view>
#include <vector>

#include "crdt/utf8.h"

namespace samplan {
namespace {

struct Measure {
  const char* title;
  const char* status;
};

struct Goal {
  const char* title;
  const char* body;
  std::vector<const char*> subgoals;
  std::vector<Measure> measures;
};

const char* const kMunicipalities[] = {"Moss", "Vestby", "Råde", "Våler"};

const Goal kGoals[] = {
    {"Mosseregionen skal bli en offensiv tilrettelegger for næringslivet – og "
     "arbeide for å forankre næringsutvikling i hele forvaltningen på tvers "
     "av fagområder",
     "Kommunene har flere funksjoner overfor næringslivet. På den ene siden "
     "lovpålagte oppgaver og en forvaltningsrolle. På den annen side er "
     "kommunene tilretteleggere, og en viktig rolle er å bidra til god "
     "utvikling i næringslivet.",
     {"Næringsutvikling skal forankres som en kjerneoppgave (ledelse, politikk "
      "og administrasjon).",
      "Ha fylkenes mest løsningsorienterte, effektive og forutsigbare "
      "saksbehandling overfor næringslivet.",
      "Bistå næringslivet i en bærekraftig omstilling, ta gode valg i "
      "enkeltsaker som balanserer vekst og vern, og prioritere arealer til "
      "næringslivet i sentrumsområdene.",
      "Prioritere lokalt næringsliv, og spesielt lokalt landbruk og lokale "
      "matprodusenter i offentlige anskaffelser."},
     {{"Evaluere dagens arbeid med næringsutvikling og tilhørende "
       "organisering.",
       "planned"},
      {"Etablere en arena hvor politikere og administrasjon i kommunen og "
       "næringslivet møtes jevnlig.",
       "in progress"},
      {"Kurs i næringsutvikling for ledelse, politikere og administrasjonen i "
       "kommunene.",
       "planned"},
      {"Opplæring i innovative offentlige anskaffelser og konkrete verktøy for "
       "å prioritere lokalt næringsliv.",
       "planned"}}},
    {"Mosseregionen skal ha en levende by og kommuner med høy "
     "bostedsattraktivitet",
     "En viktig faktor for næringsutvikling er bostedsattraktivitet. For "
     "næringslivet er tilgang på arbeidskraft i regionen avgjørende. Kultur er "
     "en magnet, og kultur bør defineres som næring.",
     {"Byen og tettsteder skal bli motoren i regionens næringssatsing.",
      "Kommunene skal samarbeide mer om å levere gode tjenester, god "
      "infrastruktur, samt sikre gode frilufts- og rekreasjonsområder.",
      "Etablere lokal HUB for å gjøre sentrumsområdene til attraktive steder å "
      "starte selskap og arbeide.",
      "Utvikle kulturnæringen til å bli en motor for næringsutvikling og "
      "attraksjon basert på fjordlandskap, historie og nærmiljøet."},
     {{"Omdømmeprosjekt (inkl. segmentanalyse, fakta om kommunene, "
       "synlighet).",
       "planned"},
      {"Utvikle og gjennomføre «Sommerjobb-festivalen».", "planned"}}},
    {"Mosseregionen skal bidra til at næringslivet har tilgang til relevant "
     "arbeidskraft og at flere deltar i arbeidslivet",
     "En av regionens klare utfordringer er den store andelen unge uføre og "
     "lav arbeidsdeltakelse. Kommunene skal gjennom sine tjenester redusere "
     "frafallet i videregående skole.",
     {"Bidra til at eksisterende tjenester reduserer frafallet i videregående "
      "skole, øker inkluderingen og arbeidsdeltakelsen.",
      "Verdien av fagkompetanse synliggjøres, og flere får lærlingplass. "
      "Kommunene går selv foran som en aktiv lærebedrift.",
      "Utvikle befolkningens entreprenørielle tankegang i samarbeid med Ungt "
      "Entreprenørskap og Etablerertjenesten."},
     {{"Styrke etablerertjenesten, samarbeidet med Ungt Entreprenørskap og "
       "utvikle lokal HUB.",
       "planned"},
      {"Tiltak for økt arbeidsdeltakelse – utarbeide oversikt over hva som "
       "gjøres i dag, bruke NAV og eksisterende tiltaksordninger.",
       "planned"},
      {"Etablere nettverk mellom Forsvaret på Rygge flystasjon og lokale "
       "leverandører.",
       "planned"}}},
};

struct Indicator {
  const char* title;
  const char* unit;
  const char* source;
  std::vector<const char*> columns;
  // One row per municipality, then the regional total ("Samlet").
  std::vector<std::vector<double>> rows;
};

const Indicator kIndicators[] = {
    {"Skatteinntekter per innbygger mot landsgjennomsnittet",
     "kr per innbygger",
     "KS, skatteutjevning desember 2024",
     {"2024, innbyggere", "2024, skatteinntekt (1000 kr)",
      "2024, per innbygger (kr)", "2024, mot landsgjennomsnittet (%)"},
     {{52671, 1858005, 35696, 93},
      {19974, 696944, 35754, 93},
      {7873, 263399, 33414, 87},
      {6176, 186248, 30309, 79},
      {86694, 3004596, 34657, 90}}},
    {"Deltakelse i arbeidslivet, sysselsettingsandel 20–66 år",
     "prosent",
     "SSB tabell 11618",
     {"2024, befolkning", "2024, sysselsatte", "2024, andel i arbeid (%)"},
     {{31123, 23030, 73.9},
      {11385, 8986, 78.9},
      {4615, 3476, 75.3},
      {3671, 2849, 77.6},
      {50794, 38341, 75.5}}},
};

#define SAMPLAN_TRY_ASSIGN(var, expr)          \
  auto var##_result = (expr);                  \
  if (!var##_result.ok()) return var##_result.status(); \
  const OpId var = *var##_result

}  // namespace

Status BuildDemoPlan(Replica* r) {
  SAMPLAN_RETURN_IF_ERROR(r->InsertText(
      kRootNode, "title", 0, "Handlingsplan for næringsutvikling 2026"));
  SAMPLAN_RETURN_IF_ERROR(r->InsertText(
      kRootNode, "intro", 0,
      "Mosseregionen interkommunalt politisk råd er et samarbeids- og "
      "interesseorgan for de deltakende kommunene som skal bidra til å styrke "
      "regionen som en bærekraftig, attraktiv og konkurransedyktig region, "
      "basert på lokale fortrinn."));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(kRootNode, "period_start", FieldValue::Int(2026)));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(kRootNode, "period_end", FieldValue::Int(2026)));
  SAMPLAN_RETURN_IF_ERROR(r->SetField(
      kRootNode, "municipalities",
      FieldValue::StringList({kMunicipalities, kMunicipalities + 4})));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(kRootNode, "status", FieldValue::String("draft")));
  SAMPLAN_RETURN_IF_ERROR(r->SetField(
      kRootNode, "vision",
      FieldValue::String("Mosseregionen skal bli en av landets beste regioner "
                         "på næringsutvikling.")));
  size_t index = 0;
  for (const Goal& g : kGoals) {
    SAMPLAN_TRY_ASSIGN(goal, r->CreateNode(kRootNode, index++, "goal"));
    SAMPLAN_RETURN_IF_ERROR(r->InsertText(goal, "title", 0, g.title));
    SAMPLAN_RETURN_IF_ERROR(r->InsertText(goal, "body", 0, g.body));
    SAMPLAN_RETURN_IF_ERROR(r->SetField(goal, "target_year",
                                        FieldValue::Int(2026)));
    size_t child = 0;
    for (const char* s : g.subgoals) {
      SAMPLAN_TRY_ASSIGN(sub, r->CreateNode(goal, child++, "subgoal"));
      SAMPLAN_RETURN_IF_ERROR(r->InsertText(sub, "title", 0, s));
    }
    size_t m = 0;
    for (const Measure& measure : g.measures) {
      SAMPLAN_TRY_ASSIGN(node, r->CreateNode(goal, child++, "measure"));
      SAMPLAN_RETURN_IF_ERROR(r->InsertText(node, "title", 0, measure.title));
      SAMPLAN_RETURN_IF_ERROR(
          r->SetField(node, "status", FieldValue::String(measure.status)));
      SAMPLAN_RETURN_IF_ERROR(r->SetField(node, "year", FieldValue::Int(2026)));
      // Each measure is owned by one municipality in turn, the rest jointly.
      if (m < 4) {
        SAMPLAN_RETURN_IF_ERROR(r->SetField(
            node, "owner", FieldValue::StringList({kMunicipalities[m]})));
      }
      SAMPLAN_RETURN_IF_ERROR(r->SetField(
          node, "responsible",
          FieldValue::StringList({kMunicipalities, kMunicipalities + 4})));
      ++m;
    }
  }
  for (const Indicator& ind : kIndicators) {
    SAMPLAN_TRY_ASSIGN(node, r->CreateNode(kRootNode, index++, "indicator"));
    SAMPLAN_RETURN_IF_ERROR(r->InsertText(node, "title", 0, ind.title));
    SAMPLAN_RETURN_IF_ERROR(
        r->SetField(node, "unit", FieldValue::String(ind.unit)));
    SAMPLAN_RETURN_IF_ERROR(
        r->SetField(node, "source", FieldValue::String(ind.source)));
    SAMPLAN_RETURN_IF_ERROR(
        r->SetField(node, "baseline_year", FieldValue::Int(2024)));
    std::vector<OpId> columns;
    for (size_t c = 0; c < ind.columns.size(); ++c) {
      SAMPLAN_TRY_ASSIGN(col,
                         r->InsertTableLine(node, "values", TableAxis::kColumn,
                                            c));
      SAMPLAN_RETURN_IF_ERROR(r->SetCell(node, "values", kNullId, col,
                                         FieldValue::String(ind.columns[c])));
      columns.push_back(col);
    }
    for (size_t row = 0; row < ind.rows.size(); ++row) {
      SAMPLAN_TRY_ASSIGN(line, r->InsertTableLine(node, "values",
                                                  TableAxis::kRow, row));
      SAMPLAN_RETURN_IF_ERROR(r->SetCell(
          node, "values", line, kNullId,
          FieldValue::String(row < 4 ? kMunicipalities[row] : "Samlet")));
      for (size_t c = 0; c < columns.size(); ++c) {
        SAMPLAN_RETURN_IF_ERROR(
            r->SetCell(node, "values", line, columns[c],
                       FieldValue::Number(ind.rows[row][c])));
      }
    }
  }
  SAMPLAN_TRY_ASSIGN(note, r->CreateNode(kRootNode, index++, "footnote"));
  SAMPLAN_RETURN_IF_ERROR(r->InsertText(
      note, "body", 0,
      "Strategisk næringsplan for Mosseregionen (2023 – 2026), revidert "
      "2023."));
  SAMPLAN_RETURN_IF_ERROR(r->SetField(
      note, "url",
      FieldValue::String("https://www.mnu-as.no/app/uploads/2023/08/"
                         "Strategisk-naeringsplan-for-Mosseregionen-revidert-"
                         "2023-datert-09.08.2023.pdf")));
  return Status::OK();
}

Status BuildDemoRevision(Replica* r, int64_t now_ms) {
  const std::vector<OpId> top = r->Children(kRootNode);
  if (top.size() < 5) return Status::FailedPrecondition("not the demo plan");
  const OpId goal1 = top[0], goal2 = top[1], goal3 = top[2];
  const OpId employment = top[4];
  const std::vector<OpId> g1 = r->Children(goal1);
  if (g1.size() < 8) return Status::FailedPrecondition("not the demo plan");
  int64_t minute = 0;
  auto as = [&](const char* user, const char* municipality) {
    r->SetAuthor(Author{user, municipality, now_ms + 60000 * minute++});
  };
  auto find = [&](OpId node, const char* field, std::string_view words) {
    Result<std::string> text = r->Text(node, field);
    if (!text.ok()) return std::string::npos;
    const size_t byte = text->find(words);
    if (byte == std::string::npos) return byte;
    return utf8::CountCodePoints(std::string_view(*text).substr(0, byte));
  };

  // Moss: the hearing asked for culture to be named in every municipality.
  as("anne", "Moss");
  Result<std::string> body2 = r->Text(goal2, "body");
  if (!body2.ok()) return body2.status();
  SAMPLAN_RETURN_IF_ERROR(r->InsertText(
      goal2, "body", utf8::CountCodePoints(*body2),
      " Etter høringen skal kulturnæringen løftes fram i alle fire "
      "kommunene."));
  as("anne", "Moss");
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(g1[4], "status", FieldValue::String("in progress")));

  // Vestby rewords the first goal's text.
  as("ola", "Vestby");
  const std::string_view old_words = "en viktig rolle er å bidra til";
  const size_t at = find(goal1, "body", old_words);
  if (at == std::string::npos) return Status::NotFound("demo goal 1 body");
  SAMPLAN_RETURN_IF_ERROR(r->DeleteText(goal1, "body", at,
                                        utf8::CountCodePoints(old_words)));
  SAMPLAN_RETURN_IF_ERROR(
      r->InsertText(goal1, "body", at, "de skal aktivt bidra til"));
  as("ola", "Vestby");
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(g1[5], "status", FieldValue::String("done")));

  // Råde adds a measure on apprenticeships and a target column.
  as("siri", "Råde");
  const size_t g3_size = r->Children(goal3).size();
  SAMPLAN_TRY_ASSIGN(apprentices, r->CreateNode(goal3, g3_size, "measure"));
  SAMPLAN_RETURN_IF_ERROR(r->InsertText(
      apprentices, "title", 0,
      "Kartlegge behovet for lærlingplasser i kommunene og i lokalt "
      "næringsliv."));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(apprentices, "status", FieldValue::String("planned")));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(apprentices, "year", FieldValue::Int(2026)));
  SAMPLAN_RETURN_IF_ERROR(r->SetField(apprentices, "owner",
                                      FieldValue::StringList({"Råde"})));
  as("siri", "Råde");
  const Table* table = r->TableOf(employment, "values");
  if (table == nullptr) return Status::NotFound("demo indicator table");
  const std::vector<OpId> rows = table->VisibleLines(TableAxis::kRow);
  const size_t columns = table->VisibleLines(TableAxis::kColumn).size();
  SAMPLAN_TRY_ASSIGN(target, r->InsertTableLine(employment, "values",
                                                TableAxis::kColumn, columns));
  SAMPLAN_RETURN_IF_ERROR(r->SetCell(employment, "values", kNullId, target,
                                     FieldValue::String("2026, mål (%)")));
  const double targets[] = {76.0, 80.0, 77.0, 79.0, 77.0};
  for (size_t i = 0; i < rows.size() && i < 5; ++i) {
    SAMPLAN_RETURN_IF_ERROR(r->SetCell(employment, "values", rows[i], target,
                                       FieldValue::Number(targets[i])));
  }

  // Moss's plan secretary puts procurement training before the arena and
  // marks the plan as adopted.
  as("kari", "Moss");
  SAMPLAN_RETURN_IF_ERROR(r->MoveNode(g1[7], goal1, 6));
  as("kari", "Moss");
  SAMPLAN_RETURN_IF_ERROR(
      r->SetField(kRootNode, "status", FieldValue::String("adopted")));
  return Status::OK();
}

namespace {

// Code point position of `needle` in a text field; npos when absent.
size_t FindInText(const Replica& r, OpId node, const char* field,
                  std::string_view needle) {
  Result<std::string> text = r.Text(node, field);
  if (!text.ok()) return std::string::npos;
  const size_t byte = text->find(needle);
  if (byte == std::string::npos) return byte;
  return utf8::CountCodePoints(std::string_view(*text).substr(0, byte));
}

}  // namespace

Status BuildDemoReview(Replica* r, int64_t now_ms) {
  const Author per{"per", "", now_ms};
  const Author anne{"anne", "Moss", now_ms};
  const Author ola{"ola", "Vestby", now_ms};
  const Author siri{"siri", "Råde", now_ms};
  const std::vector<OpId> top = r->Children(kRootNode);
  if (top.size() < 5) return Status::FailedPrecondition("not the demo plan");
  const OpId goal1 = top[0], goal2 = top[1], goal3 = top[2];
  const OpId tax = top[3];
  const std::vector<OpId> g1 = r->Children(goal1);
  const std::vector<OpId> g2 = r->Children(goal2);
  const std::vector<OpId> g3 = r->Children(goal3);
  const OpId g1_moss = g1[4], g1_vestby = g1[5];
  const OpId g2_moss = g2[4], g2_vestby = g2[5];
  using Spec = Replica::ThreadAnchorSpec;
  auto range = [&](OpId node, const char* field,
                   std::string_view words) -> Result<Spec> {
    const size_t at = FindInText(*r, node, field, words);
    if (at == std::string::npos) {
      return Status::NotFound("demo text lacks '" + std::string(words) + "'");
    }
    return Spec::OnText(node, field, at, at + utf8::CountCodePoints(words));
  };

  // A thread on a text range, assigned to Moss with a due date, answered.
  r->SetAuthor(per);
  Result<Spec> offensive = range(goal1, "title", "offensiv tilrettelegger");
  if (!offensive.ok()) return offensive.status();
  SAMPLAN_TRY_ASSIGN(
      t1, r->AddThread(*offensive,
                       "Hva betyr «offensiv tilrettelegger» i praksis? Kan vi "
                       "tallfeste målet, for eksempel med saksbehandlingstid?",
                       {"municipality:Moss"}));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetThread(t1, "assignee", FieldValue::String("municipality:Moss")));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetThread(t1, "due", FieldValue::Date("2026-03-15")));
  r->SetAuthor(anne);
  SAMPLAN_RETURN_IF_ERROR(
      r->Reply(t1,
               "Enig. Moss tar det opp på arbeidsmøtet i mars. Vestby bør se "
               "på måltallet sammen med oss.",
               {"municipality:Vestby"})
          .status());

  // A thread on a table cell, answered and resolved.
  r->SetAuthor(siri);
  const Table* values = r->TableOf(tax, "values");
  if (values == nullptr) return Status::FailedPrecondition("no table");
  const std::vector<OpId> rows = values->VisibleLines(TableAxis::kRow);
  const std::vector<OpId> cols = values->VisibleLines(TableAxis::kColumn);
  SAMPLAN_TRY_ASSIGN(
      t2, r->AddThread(Spec::OnCell(tax, "values", rows[2], cols[2]),
                       "Tallet for Råde bør kontrolleres mot KS sine endelige "
                       "tall for 2024."));
  r->SetAuthor(ola);
  SAMPLAN_RETURN_IF_ERROR(
      r->Reply(t2, "Kontrollert: stemmer med KS, desember 2024.",
               {"user:siri"})
          .status());
  SAMPLAN_RETURN_IF_ERROR(
      r->SetThread(t2, "resolved", FieldValue::Bool(true)));

  // A thread on a measure, assigned to a person.
  r->SetAuthor(per);
  SAMPLAN_TRY_ASSIGN(
      t3, r->AddThread(Spec::OnNode(g2_vestby),
                       "Hvem har ansvaret for festivalen i 2026? Budsjettet "
                       "mangler i planen.",
                       {"user:ola"}));
  SAMPLAN_RETURN_IF_ERROR(
      r->SetThread(t3, "assignee", FieldValue::String("user:ola")));
  // A thread on a field.
  SAMPLAN_RETURN_IF_ERROR(
      r->AddThread(Spec::OnField(g1_vestby, "status"),
                   "Står arenaen fortsatt som pågående? Første møte var i "
                   "oktober.")
          .status());

  // Suggestions: a text replacement (open), a new measure (open), a
  // status change (accepted by Moss), a deletion (rejected with a reason).
  Result<Spec> unge = range(goal3, "body", "unge uføre");
  if (!unge.ok()) return unge.status();
  SAMPLAN_RETURN_IF_ERROR(r->SuggestText(goal3, "body", unge->from,
                                         unge->to - unge->from,
                                         "unge utenfor arbeid og utdanning")
                              .status());
  SAMPLAN_TRY_ASSIGN(status_change,
                     r->SuggestField(g2_moss, "status",
                                     FieldValue::String("in progress")));
  SAMPLAN_TRY_ASSIGN(drop, r->SuggestDelete(g1[1]));
  r->SetAuthor(siri);
  SAMPLAN_RETURN_IF_ERROR(
      r->SuggestNode(goal3, g3.size(), "measure",
                     "Felles digital næringsportal for Mosseregionen.")
          .status());

  // Sign-off: Moss and Vestby approve measures they own; Moss then accepts
  // a change inside one of them, which marks that approval outdated.
  r->SetAuthor(anne);
  SAMPLAN_RETURN_IF_ERROR(r->Approve(g1_moss, "Moss"));
  SAMPLAN_RETURN_IF_ERROR(r->Approve(g2_moss, "Moss"));
  SAMPLAN_RETURN_IF_ERROR(r->AcceptSuggestion(status_change));
  SAMPLAN_RETURN_IF_ERROR(r->RejectSuggestion(
      drop, "Delmålet er vedtatt i strategisk næringsplan og beholdes."));
  r->SetAuthor(ola);
  SAMPLAN_RETURN_IF_ERROR(r->Approve(g2_vestby, "Vestby"));
  return Status::OK();
}

namespace {

void RenderNode(const Replica& r, OpId node, int depth, std::string* out) {
  const std::string& kind = r.KindOf(node);
  const KindSchema* schema = r.schema().Find(kind);
  std::string indent(2 * depth, ' ');
  std::string title;
  for (const char* field : {"title", "body", "name"}) {
    if (schema != nullptr && schema->texts.count(field)) {
      title = *r.Text(node, field);
      if (!title.empty()) break;
    }
  }
  *out += indent + (node == kRootNode ? "" : r.Numbering(node) + " ") + kind +
          ": " + title + "\n";
  if (schema != nullptr) {
    for (const auto& [name, type] : schema->fields) {
      Result<FieldRead> f = r.Field(node, name);
      if (!f.ok() || f->winner.IsNull()) continue;
      *out += indent + "    " + name + " = " + f->value.DebugString();
      for (const RegisterEntry& e : f->conflicts) {
        *out += "  (conflict: " + e.value.DebugString() + ")";
      }
      *out += "\n";
    }
    for (const std::string& name : schema->tables) {
      const Table* t = r.TableOf(node, name);
      if (t == nullptr) continue;
      auto cell = [&](OpId row, OpId col) -> std::string {
        const MultiValueRegister* c = t->Cell(row, col);
        return c == nullptr || c->empty() ? "" : c->winner().value.DebugString();
      };
      const std::vector<OpId> cols = t->VisibleLines(TableAxis::kColumn);
      std::string header = indent + "    |";
      for (OpId col : cols) header += " " + cell(kNullId, col) + " |";
      *out += header + "\n";
      for (OpId row : t->VisibleLines(TableAxis::kRow)) {
        std::string line = indent + "    | " + cell(row, kNullId) + ":";
        for (OpId col : cols) line += " " + cell(row, col) + " |";
        *out += line + "\n";
      }
    }
  }
  for (OpId child : r.Children(node)) RenderNode(r, child, depth + 1, out);
}

}  // namespace

std::string RenderOutline(const Replica& replica) {
  std::string out;
  RenderNode(replica, kRootNode, 0, &out);
  return out;
}

}  // namespace samplan
