// fuzz_seed_gen OUT_DIR [TRACE.json.gz]: writes the seed corpora of the
// fuzz targets, generated from the demo plan (cli/demo_plan.h), local
// edits on top of it and, when given, the first patches of a recorded
// editing trace (../shared/traces). Deterministic: same input, same files.
//
//   OUT_DIR/parse_message/*  client messages (auth, join, ops, presence,
//                            ping, leave) and a few hostile shapes
//   OUT_DIR/apply_ops/*      op batches: byte 0 even = binary (EncodeOps),
//                            odd = JSON array (see apply_ops_fuzzer.cc)
//
// Generated rather than checked in so the seeds follow the wire format.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "crdt/replica.h"
#include "protocol/json_codec.h"
#include "protocol/messages.h"
#include "cli/demo_plan.h"
#include "cli/trace.h"

namespace {

using samplan::OpId;
using samplan::Op;
using samplan::Replica;
using samplan::Status;
namespace protocol = samplan::protocol;
using protocol::Json;

constexpr samplan::ReplicaId kClient = (uint64_t{1} << 32) + 5;
constexpr size_t kTracePatches = 400;
constexpr size_t kOpsPerSeed = 12;

std::filesystem::path out_dir;
int written = 0;

void Write(const std::string& target, const std::string& name,
           const std::string& bytes) {
  const std::filesystem::path dir = out_dir / target;
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
  ++written;
}

Json Message(const char* type) {
  Json j = Json::object();
  j["v"] = 1;
  j["type"] = type;
  return j;
}

// Writes one op batch in every form the targets take.
void WriteBatch(const std::string& name, const std::vector<Op>& ops) {
  Json m = Message("ops");
  m["ref"] = name;
  m["ops"] = protocol::OpsToJson(ops, /*with_author=*/false);
  Write("parse_message", name + ".json", protocol::Dump(m));
  Write("apply_ops", name + ".bin", std::string(1, '\0') + samplan::EncodeOps(ops));
  Write("apply_ops", name + ".json",
        "\x01" + protocol::Dump(protocol::OpsToJson(ops, false)));
}

void WriteBatches(const std::string& prefix, const std::vector<Op>& ops) {
  for (size_t i = 0; i < ops.size(); i += kOpsPerSeed) {
    std::vector<Op> batch(ops.begin() + i,
                          ops.begin() + std::min(ops.size(), i + kOpsPerSeed));
    WriteBatch(prefix + std::to_string(i / kOpsPerSeed), batch);
  }
}

// Local edits of every op kind on top of the demo plan.
void EditDemo(Replica* r) {
  const std::vector<OpId> top = r->Children(samplan::kRootNode);
  for (OpId node : top) {
    const std::string& kind = r->KindOf(node);
    if (kind == "goal") {
      r->InsertText(node, "title", 0, "Grønn 😀 ").ok();
      r->DeleteText(node, "title", 2, 3).ok();
      r->SetField(node, "status", samplan::FieldValue::String("done")).ok();
      r->SetField(node, "target_year", samplan::FieldValue::Int(2030)).ok();
      auto child = r->CreateNode(node, 0, "measure");
      if (child.ok()) {
        r->InsertText(*child, "title", 0, "Tiltak").ok();
        r->MoveNode(*child, samplan::kRootNode, 0).ok();
        r->DeleteNode(*child).ok();
      }
    }
    for (OpId c : r->Children(node)) {
      if (r->KindOf(c) != "indicator") continue;
      auto row = r->InsertTableLine(c, "values", samplan::TableAxis::kRow, 0);
      auto col = r->InsertTableLine(c, "values", samplan::TableAxis::kColumn, 0);
      if (row.ok() && col.ok()) {
        r->SetCell(c, "values", *row, *col, samplan::FieldValue::Number(1.5)).ok();
        r->DeleteTableLine(c, "values", samplan::TableAxis::kRow, *row).ok();
      }
      break;
    }
  }
}

// The first patches of a sequential trace typed into a new goal's body.
Status TypeTrace(const std::string& path, Replica* r) {
  samplan::Trace trace;
  SAMPLAN_RETURN_IF_ERROR(samplan::LoadTrace(path, &trace));
  auto goal = r->CreateNode(samplan::kRootNode, 0, "goal");
  if (!goal.ok()) return goal.status();
  size_t done = 0;
  for (const samplan::TraceTxn& txn : trace.txns) {
    for (const samplan::TracePatch& p : trace.PatchesOf(txn)) {
      if (done++ == kTracePatches) return Status::OK();
      if (p.delete_count > 0) {
        SAMPLAN_RETURN_IF_ERROR(r->DeleteText(*goal, "body", p.pos, p.delete_count));
      }
      if (p.text_size > 0) {
        SAMPLAN_RETURN_IF_ERROR(
            r->InsertText(*goal, "body", p.pos, trace.InsertedText(p)));
      }
    }
  }
  return Status::OK();
}

void WriteMessages(const Replica& demo) {
  Json auth = Message("auth");
  auth["token"] = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbGEifQ.c2ln";
  auth["ref"] = "a1";
  Write("parse_message", "auth.json", protocol::Dump(auth));
  Json join = Message("join");
  join["plan"] = "demo";
  join["version"] = protocol::VersionToJson(demo.version());
  join["replica"] = kClient;
  join["ref"] = 7;
  Write("parse_message", "join.json", protocol::Dump(join));
  Json presence = Message("presence");
  samplan::Anchor anchor;
  const OpId first = demo.Children(samplan::kRootNode).front();
  auto a = demo.AnchorAtText(first, "title", 3, samplan::Anchor::Side::kBefore);
  presence["anchor"] = protocol::AnchorToJson(a.ok() ? *a : anchor);
  presence["typing"] = true;
  Write("parse_message", "presence.json", protocol::Dump(presence));
  Write("parse_message", "ping.json", R"({"v":1,"type":"ping","ref":"p1"})");
  Write("parse_message", "leave.json", R"({"v":1,"type":"leave"})");
  // Hostile shapes, kept small: libFuzzer grows them.
  Write("parse_message", "deep.json", std::string(2000, '[') + std::string(2000, ']'));
  Write("parse_message", "bad_utf8.json",
        "{\"v\":1,\"type\":\"join\",\"plan\":\"d\xc3\x28mo\"}");
  Write("parse_message", "big_ints.json",
        R"({"v":1,"type":"ops","ops":[{"id":[9007199254740991,9007199254740991],)"
        R"("lamport":9007199254740991,"kind":"delete_text","node":[2,5],"name":"title",)"
        R"("spans":[[2,7,3],[2,8,3,true],[18446744073709551615,1,1]]}]})");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: fuzz_seed_gen OUT_DIR [TRACE.json.gz]\n");
    return 2;
  }
  out_dir = argv[1];
  Replica demo(2);
  Status s = samplan::BuildDemoPlan(&demo);
  if (!s.ok()) {
    std::fprintf(stderr, "fuzz_seed_gen: demo plan: %s\n", s.ToString().c_str());
    return 1;
  }
  WriteMessages(demo);
  std::vector<Op> demo_ops(demo.log().begin(), demo.log().end());
  WriteBatches("demo_", demo_ops);

  auto client = Replica::DecodeSnapshot(demo.EncodeSnapshot(), kClient);
  if (!client.ok()) return 1;
  EditDemo(client->get());
  std::vector<Op> edits;
  (*client)->OpsSince(demo.version(), &edits).ok();
  WriteBatches("edit_", edits);

  if (argc == 3) {
    auto typist = Replica::DecodeSnapshot(demo.EncodeSnapshot(), kClient + 1);
    if (!typist.ok()) return 1;
    s = TypeTrace(argv[2], typist->get());
    if (!s.ok()) {
      std::fprintf(stderr, "fuzz_seed_gen: trace: %s\n", s.ToString().c_str());
      return 1;
    }
    std::vector<Op> typed;
    (*typist)->OpsSince(demo.version(), &typed).ok();
    WriteBatches("trace_", typed);
  }
  std::printf("fuzz_seed_gen: %d seed files in %s\n", written, argv[1]);
  return 0;
}
