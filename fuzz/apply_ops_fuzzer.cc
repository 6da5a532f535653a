// libFuzzer target: Replica::Apply of decoded, untrusted operations on a
// replica that holds the demo plan.
//
// Input: the first byte picks the decoding, the rest is the payload:
//   even  DecodeOps (the binary "SPO" list, what storage and snapshots use)
//   odd   a JSON array of ops (OpsFromJson, what clients send)
// At most kMaxOps decoded ops are applied, one by one. Checked:
//   - a rejected op changes nothing (CanonicalDump, version, pending);
//   - CheckInvariants holds after the batch;
//   - the snapshot round-trips to the same state;
//   - convergence: a second replica from the same start that receives the
//     ops the first one logged, in reverse order, ends identical, with
//     nothing rejected and nothing pending.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crdt/replica.h"
#include "fuzz/fuzz_check.h"
#include "protocol/json_codec.h"
#include "cli/demo_plan.h"

namespace {

using samplan::Op;
using samplan::Replica;
using samplan::Status;
namespace protocol = samplan::protocol;

constexpr size_t kMaxOps = 32;
constexpr int kMaxDumps = 3;
// The fuzzed ops' receiver, as on the server: not a client replica id.
constexpr samplan::ReplicaId kReceiver = 3;

// The demo plan, built once, as snapshot bytes.
const std::string& DemoSnapshot() {
  static const std::string snapshot = [] {
    Replica demo(2);
    Status s = samplan::BuildDemoPlan(&demo);
    FUZZ_CHECK(s.ok(), "demo plan: " + s.ToString());
    return demo.EncodeSnapshot();
  }();
  return snapshot;
}

std::unique_ptr<Replica> FreshReplica() {
  auto r = Replica::DecodeSnapshot(DemoSnapshot(), kReceiver);
  FUZZ_CHECK(r.ok(), "demo snapshot: " + r.status().ToString());
  return std::move(r).value();
}

bool Decode(const uint8_t* data, size_t size, std::vector<Op>* ops) {
  if (size == 0) return false;
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1,
                                 size - 1);
  if ((data[0] & 1) == 0) return samplan::DecodeOps(payload, ops).ok();
  protocol::Json j = protocol::Json::parse(payload, nullptr, false);
  if (j.is_discarded()) return false;
  return protocol::OpsFromJson(j, "ops", 4096, ops).ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Op> ops;
  if (!Decode(data, size, &ops)) return 0;
  if (ops.size() > kMaxOps) ops.resize(kMaxOps);

  std::unique_ptr<Replica> replica = FreshReplica();
  const samplan::VersionVector start = replica->version();
  // Full state comparisons (CanonicalDump of the whole plan) are costly
  // under ASan: a few per input, the cheap ones for every op.
  int dumps_left = kMaxDumps;
  std::string before;
  bool before_valid = false;
  for (const Op& op : ops) {
    if (!before_valid && dumps_left > 0) {
      before = replica->CanonicalDump();
      before_valid = true;
      --dumps_left;
    }
    const samplan::VersionVector version = replica->version();
    const size_t pending = replica->pending_count();
    const size_t logged = replica->log().size();
    Status s = replica->Apply(op);
    if (!s.ok()) {
      FUZZ_CHECK(replica->version() == version &&
                     replica->pending_count() == pending &&
                     replica->log().size() == logged,
                 "rejected op changed the version, log or pending ops: " +
                     samplan::DescribeOp(op));
      if (before_valid) {
        FUZZ_CHECK(replica->CanonicalDump() == before,
                   "rejected op changed the state: " + samplan::DescribeOp(op));
      }
    } else {
      before_valid = false;
    }
  }
  Status inv = replica->CheckInvariants();
  FUZZ_CHECK(inv.ok(), "invariants: " + inv.ToString());

  // Snapshot round trip (pending ops included).
  auto copy = Replica::DecodeSnapshot(replica->EncodeSnapshot(), kReceiver);
  FUZZ_CHECK(copy.ok(), "own snapshot does not decode: " +
                            copy.status().ToString());
  FUZZ_CHECK((*copy)->CanonicalDump() == replica->CanonicalDump(),
             "snapshot round trip changed the state");
  FUZZ_CHECK((*copy)->pending_count() == replica->pending_count(),
             "snapshot round trip changed the pending ops");

  // Convergence: the logged ops, delivered backwards to a fresh replica.
  std::vector<Op> logged;
  Status since = replica->OpsSince(start, &logged);
  FUZZ_CHECK(since.ok(), "OpsSince: " + since.ToString());
  std::unique_ptr<Replica> other = FreshReplica();
  for (auto it = logged.rbegin(); it != logged.rend(); ++it) {
    Status s = other->Apply(*it);
    FUZZ_CHECK(s.ok(), "an op the first replica accepted is rejected when "
                       "delivered in another order: " +
                           s.ToString());
  }
  FUZZ_CHECK(other->TakePendingErrors().empty(),
             "a held-back op was dropped in the other order");
  FUZZ_CHECK(other->pending_count() == 0, "ops left pending in the other order");
  FUZZ_CHECK(other->version() == replica->version(), "versions differ");
  FUZZ_CHECK(other->CanonicalDump() == replica->CanonicalDump(),
             "replicas with the same ops differ");
  return 0;
}
