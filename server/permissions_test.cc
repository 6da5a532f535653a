// Unit tests of the ownership rules (server/permissions.h) without sockets:
// a "server" replica holds the plan, and each attempt is an op made by an
// attacker's replica (through the core API, or forged by hand where the
// core would refuse it locally) and judged by CheckOpPermission exactly as
// Room::SubmitOps does, then applied when allowed.
#include "server/permissions.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crdt/replica.h"

namespace samplan {
namespace {

using Owners = std::vector<std::string>;

FieldValue OwnedBy(Owners owners) {
  return FieldValue::StringList(std::move(owners));
}

// The plan as the server holds it, with the demo plan's shape where it
// matters: a joint goal whose measures belong to single municipalities,
// plus goals owned by Moss and by Vestby, and a joint goal.
struct Plan {
  Replica server{1};
  OpId goal1, m_moss, m_vestby, m_rade, m_joint;  // joint goal 1
  OpId goal_moss, sub_moss, sub_moss_measure, moss_measure;
  OpId goal_vestby, vestby_measure;
  OpId goal_joint, joint_measure;
  OpId moss_title;  // the first character of moss_measure's title
  ReplicaId next_replica = 10;

  Plan() {
    server.SetAuthor(Author{"kari", "Moss", 0});  // the admin
    goal1 = *server.CreateNode(kRootNode, 0, "goal");
    m_moss = *server.CreateNode(goal1, 0, "measure");
    m_vestby = *server.CreateNode(goal1, 1, "measure");
    m_rade = *server.CreateNode(goal1, 2, "measure");
    m_joint = *server.CreateNode(goal1, 3, "measure");
    Own(m_moss, {"Moss"});
    Own(m_vestby, {"Vestby"});
    Own(m_rade, {"Råde"});
    goal_moss = *server.CreateNode(kRootNode, 1, "goal");
    Own(goal_moss, {"Moss"});
    sub_moss = *server.CreateNode(goal_moss, 0, "subgoal");
    sub_moss_measure = *server.CreateNode(sub_moss, 0, "measure");
    moss_measure = *server.CreateNode(goal_moss, 1, "measure");
    goal_vestby = *server.CreateNode(kRootNode, 2, "goal");
    Own(goal_vestby, {"Vestby"});
    vestby_measure = *server.CreateNode(goal_vestby, 0, "measure");
    goal_joint = *server.CreateNode(kRootNode, 3, "goal");
    joint_measure = *server.CreateNode(goal_joint, 0, "measure");
    EXPECT_TRUE(server.InsertText(moss_measure, "title", 0, "Moss tiltak").ok());
    moss_title = server.log().back().id;
  }

  void Own(OpId node, Owners owners) {
    ASSERT_TRUE(server.SetField(node, "owner", OwnedBy(std::move(owners))).ok());
  }

  // The single op `edit` logs on a fresh copy of the server's plan (a new
  // replica id each time, so that allowed ops can be applied).
  Op Make(const std::function<Status(Replica&)>& edit) {
    Replica copy(next_replica++);
    std::vector<Op> all(server.log().begin(), server.log().end());
    EXPECT_TRUE(copy.ApplyAll(all).ok());
    const size_t before = copy.log().size();
    const Status st = edit(copy);
    EXPECT_TRUE(st.ok()) << "the core refused the attempt itself: "
                         << st.ToString();
    EXPECT_EQ(copy.log().size(), before + 1);
    return copy.log().back();
  }

  // An op built by hand on top of the server's state, for edits the core
  // refuses locally but accepts from a peer (e.g. on a deleted node).
  Op Forge(OpKind kind, OpId node) {
    Op op;
    op.id = OpId{next_replica++, 1};
    uint64_t lamport = 0;
    for (const Op& o : server.log()) {
      lamport = std::max(lamport, o.lamport + o.Length() - 1);
    }
    op.lamport = lamport + 1;
    op.deps = server.frontier();
    op.kind = kind;
    op.node = node;
    return op;
  }

  // What Room::SubmitOps does with one op: check, then apply.
  Status Submit(const Op& op, Role role, const std::string& municipality) {
    SAMPLAN_RETURN_IF_ERROR(
        CheckOpPermission(server, op, role, municipality));
    const Status applied = server.Apply(op);
    EXPECT_TRUE(applied.ok()) << applied.ToString();
    return applied;
  }
  Status Editor(const std::string& municipality,
                const std::function<Status(Replica&)>& edit) {
    return Submit(Make(edit), Role::kEditor, municipality);
  }
  Status Admin(const std::function<Status(Replica&)>& edit) {
    return Submit(Make(edit), Role::kAdmin, "Moss");
  }
  // Whether an editor of `municipality` may apply `op` (not applied).
  bool Allowed(const Op& op, const std::string& municipality) {
    return CheckOpPermission(server, op, Role::kEditor, municipality).ok();
  }
};

std::function<Status(Replica&)> Delete(OpId node) {
  return [node](Replica& r) { return r.DeleteNode(node); };
}
std::function<Status(Replica&)> Move(OpId node, OpId parent, size_t index = 0) {
  return [=](Replica& r) { return r.MoveNode(node, parent, index); };
}
std::function<Status(Replica&)> Type(OpId node, const char* text) {
  return [=](Replica& r) { return r.InsertText(node, "title", 0, text); };
}

bool Mentions(const Status& st, const std::string& what) {
  return st.message().find(what) != std::string::npos;
}

// ---- 1. A deleted node keeps the owner it had where it was deleted. ------

TEST(PermissionsOwnershipTest, DeletedNodeKeepsTheOwnerItHadWhereItWasDeleted) {
  Plan p;
  // Moss deletes its measure (it inherits Moss from its goal).
  ASSERT_TRUE(p.Editor("Moss", Delete(p.moss_measure)).ok());
  ASSERT_TRUE(p.server.IsDeleted(p.moss_measure));
  EXPECT_EQ(EffectiveOwner(p.server, p.moss_measure), Owners{"Moss"})
      << "the trash must not make it joint";
  // Vestby may not restore it anywhere: not under its own goal, not under
  // a joint one, not back where it was.
  for (OpId target : {p.goal_vestby, p.goal_joint, p.goal1, p.goal_moss}) {
    const Status st = p.Editor("Vestby", Move(p.moss_measure, target));
    EXPECT_FALSE(st.ok()) << "restore under " << target.ToString();
    EXPECT_TRUE(Mentions(st, "owned by Moss")) << st.ToString();
  }
  // Nor edit it through ops a peer may send for a deleted node (the core
  // only refuses such edits when they are local).
  Op text = p.Forge(OpKind::kInsertText, p.moss_measure);
  text.name = "title";
  text.text = "V";
  EXPECT_FALSE(p.Allowed(text, "Vestby"));
  EXPECT_TRUE(p.Allowed(text, "Moss"));
  Op field = p.Forge(OpKind::kSetField, p.moss_measure);
  field.name = "status";
  field.value = FieldValue::String("cancelled");
  EXPECT_FALSE(p.Allowed(field, "Vestby"));
  Op erase = p.Forge(OpKind::kDeleteText, p.moss_measure);
  erase.name = "title";
  erase.spans.push_back(IdSpan{p.moss_title.replica, p.moss_title.counter, 4});
  EXPECT_FALSE(p.Allowed(erase, "Vestby"));
  Op child = p.Forge(OpKind::kCreateNode, kNullId);
  child.parent = p.moss_measure;
  child.name = "text_block";
  EXPECT_FALSE(p.Allowed(child, "Vestby"));
  Op owner = p.Forge(OpKind::kSetField, p.moss_measure);
  owner.name = "owner";
  owner.value = OwnedBy({"Vestby"});
  EXPECT_FALSE(p.Allowed(owner, "Vestby"));
  EXPECT_FALSE(p.Allowed(owner, "Moss")) << "owner stays admin-only";
  // Vestby may not even delete it again.
  EXPECT_FALSE(p.Allowed(p.Forge(OpKind::kDeleteNode, p.moss_measure), "Vestby"));
  // A loaded snapshot decides alike (the server reloads plans from them).
  Result<std::unique_ptr<Replica>> loaded =
      Replica::DecodeSnapshot(p.server.EncodeSnapshot(), 2);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(EffectiveOwner(**loaded, p.moss_measure), Owners{"Moss"});
  EXPECT_FALSE(CheckOpPermission(**loaded, text, Role::kEditor, "Vestby").ok());
  // Moss may restore it, and then it is Moss's where it lands.
  ASSERT_TRUE(p.Editor("Moss", Move(p.moss_measure, p.goal_moss, 0)).ok());
  EXPECT_FALSE(p.server.IsDeleted(p.moss_measure));
}

TEST(PermissionsOwnershipTest, DeletedSubtreeKeepsItsOwnerAllTheWayDown) {
  Plan p;
  // A subgoal that inherits Moss, with a measure under it: delete the
  // subgoal; the measure is deleted with it and is still Moss's.
  ASSERT_TRUE(p.Editor("Moss", Delete(p.sub_moss)).ok());
  EXPECT_EQ(EffectiveOwner(p.server, p.sub_moss), Owners{"Moss"});
  EXPECT_EQ(EffectiveOwner(p.server, p.sub_moss_measure), Owners{"Moss"});
  Op text = p.Forge(OpKind::kInsertText, p.sub_moss_measure);
  text.name = "title";
  text.text = "V";
  EXPECT_FALSE(p.Allowed(text, "Vestby"));
  // Pull the measure out of the deleted subgoal into Vestby's goal: the
  // measure is Moss's and so is the (deleted) subgoal it leaves.
  const Status st = p.Editor("Vestby", Move(p.sub_moss_measure, p.goal_vestby));
  EXPECT_FALSE(st.ok());
  // When the goal the subgoal was deleted from is deleted too, the chain
  // of "deleted from" still leads to Moss.
  ASSERT_TRUE(p.Admin(Delete(p.goal_moss)).ok());
  EXPECT_EQ(EffectiveOwner(p.server, p.sub_moss_measure), Owners{"Moss"});
  EXPECT_FALSE(p.Allowed(text, "Vestby"));
  EXPECT_TRUE(p.Allowed(text, "Moss"));
}

TEST(PermissionsOwnershipTest, AnotherMunicipalitysDeletedGoalCannotBeTakenOver) {
  Plan p;
  // A Moss chapter whose goal has no owner of its own: the goal is Moss's
  // by inheritance, and so is its measure.
  OpId chapter, goal, measure;
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    Result<OpId> c = r.CreateNode(kRootNode, 0, "chapter");
    chapter = c.ok() ? *c : kNullId;
    return c.status();
  }).ok());
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    return r.SetField(chapter, "owner", OwnedBy({"Moss"}));
  }).ok());
  ASSERT_TRUE(p.Editor("Moss", [&](Replica& r) {
    Result<OpId> g = r.CreateNode(chapter, 0, "goal");
    goal = g.ok() ? *g : kNullId;
    return g.status();
  }).ok());
  ASSERT_TRUE(p.Editor("Moss", [&](Replica& r) {
    Result<OpId> m = r.CreateNode(goal, 0, "measure");
    measure = m.ok() ? *m : kNullId;
    return m.status();
  }).ok());
  ASSERT_TRUE(p.Editor("Moss", Delete(goal)).ok());
  // Before the fix the deleted goal counted as joint: Vestby could restore
  // it under its own part of the plan, or at the top, and edit it.
  EXPECT_FALSE(p.Editor("Vestby", Move(goal, kRootNode, 0)).ok());
  Op title = p.Forge(OpKind::kInsertText, goal);
  title.name = "title";
  title.text = "Vestby sitt";
  EXPECT_FALSE(p.Allowed(title, "Vestby"));
  Op sub = p.Forge(OpKind::kCreateNode, kNullId);
  sub.parent = goal;
  sub.name = "subgoal";
  EXPECT_FALSE(p.Allowed(sub, "Vestby"));
  EXPECT_FALSE(p.Allowed(p.Forge(OpKind::kDeleteNode, measure), "Vestby"));
  // Moss restores it at the top: it leaves the Moss chapter's ownership
  // (the trash is no old parent), which Moss may decide.
  EXPECT_TRUE(p.Editor("Moss", Move(goal, kRootNode, 0)).ok());
  EXPECT_TRUE(EffectiveOwner(p.server, goal).empty());
}

TEST(PermissionsOwnershipTest, RepeatedAndConcurrentDeletesKeepTheOwner) {
  Plan p;
  // Moss and the admin delete the same measure concurrently: the later
  // delete's "before" is the trash; the owner still comes from the goal.
  const Op by_moss = p.Make(Delete(p.moss_measure));
  const Op by_admin = p.Make(Delete(p.moss_measure));
  ASSERT_EQ(by_moss.lamport, by_admin.lamport);
  ASSERT_TRUE(p.Submit(by_moss, Role::kEditor, "Moss").ok());
  ASSERT_TRUE(p.Submit(by_admin, Role::kAdmin, "Moss").ok());
  EXPECT_EQ(p.server.ParentBeforeDelete(p.moss_measure), p.goal_moss);
  EXPECT_EQ(EffectiveOwner(p.server, p.moss_measure), Owners{"Moss"});
  EXPECT_FALSE(p.Editor("Vestby", Move(p.moss_measure, p.goal_vestby)).ok());
}

// ---- 2. Moving a node out of a parent needs rights on that parent. -------

TEST(PermissionsOwnershipTest, MoveNeedsRightsOnTheOldParent) {
  Plan p;
  // A measure shared by Moss and Vestby inside Moss's goal.
  OpId shared;
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    Result<OpId> m = r.CreateNode(p.goal_moss, 0, "measure");
    shared = m.ok() ? *m : kNullId;
    return m.status();
  }).ok());
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    return r.SetField(shared, "owner", OwnedBy({"Moss", "Vestby"}));
  }).ok());
  EXPECT_TRUE(p.Editor("Vestby", Type(shared, "V")).ok()) << "Vestby co-owns it";
  // Vestby may not take it out of Moss's goal, in any disguise.
  Status st = p.Editor("Vestby", Move(shared, p.goal_joint));
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "old parent node " + p.goal_moss.ToString())) << st.ToString();
  EXPECT_TRUE(Mentions(st, "owned by Moss")) << st.ToString();
  EXPECT_FALSE(p.Editor("Vestby", Move(shared, p.goal_vestby)).ok());
  EXPECT_FALSE(p.Editor("Vestby", Move(shared, p.goal_moss, 2)).ok())
      << "reordering changes Moss's goal too";
  EXPECT_FALSE(p.Editor("Vestby", Delete(shared)).ok())
      << "delete + restore would get around the rule";
  Op to_trash = p.Forge(OpKind::kMoveNode, shared);
  to_trash.parent = kTrashNode;
  EXPECT_FALSE(p.Allowed(to_trash, "Vestby")) << "a delete as a move";
  // Moss may (node and both parents are Moss's or joint).
  EXPECT_TRUE(p.Editor("Moss", Move(shared, p.goal_joint)).ok());
  // A Vestby measure an admin placed inside Moss's goal stays there for
  // Vestby; Vestby still edits its content.
  OpId guest;
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    Result<OpId> m = r.CreateNode(p.goal_moss, 0, "measure");
    guest = m.ok() ? *m : kNullId;
    return m.status();
  }).ok());
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    return r.SetField(guest, "owner", OwnedBy({"Vestby"}));
  }).ok());
  EXPECT_TRUE(p.Editor("Vestby", Type(guest, "V")).ok());
  EXPECT_FALSE(p.Editor("Vestby", Move(guest, p.goal_vestby)).ok());
  EXPECT_FALSE(p.Editor("Vestby", Delete(guest)).ok());
  EXPECT_FALSE(p.Editor("Moss", Move(guest, p.goal_moss, 2)).ok())
      << "Moss may not move Vestby's measure either";
  // Moving within one's own part is fine; so is a restore once an admin
  // took it out (the trash is not an old parent).
  EXPECT_TRUE(p.Editor("Vestby", Move(p.vestby_measure, p.goal_vestby, 0)).ok());
  ASSERT_TRUE(p.Admin(Delete(guest)).ok());
  EXPECT_EQ(EffectiveOwner(p.server, guest), Owners{"Vestby"});
  EXPECT_TRUE(p.Editor("Vestby", Move(guest, p.goal_vestby)).ok());
}

// ---- 3. Moving or deleting a node carries its whole subtree. -------------

TEST(PermissionsOwnershipTest, DeletingAJointGoalNeedsRightsOnEverythingInside) {
  Plan p;
  // The demo plan's situation: joint goal 1 holds measures of Moss,
  // Vestby and Råde. Vestby may not delete it: the first measure it may
  // not change is Moss's.
  Status st = p.Editor("Vestby", Delete(p.goal1));
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "node " + p.m_moss.ToString() + " is owned by Moss"))
      << st.ToString();
  EXPECT_FALSE(p.server.IsDeleted(p.goal1));
  st = p.Editor("Moss", Delete(p.goal1));
  EXPECT_TRUE(Mentions(st, p.m_vestby.ToString())) << st.ToString();
  // Not as a move under the trash either, nor as a move elsewhere (which
  // would change what the measures inherit or where they are shown).
  Op to_trash = p.Forge(OpKind::kMoveNode, p.goal1);
  to_trash.parent = kTrashNode;
  EXPECT_FALSE(p.Allowed(to_trash, "Vestby"));
  EXPECT_FALSE(p.Editor("Vestby", Move(p.goal1, kRootNode, 3)).ok());
  // A joint goal with only joint content may go, and come back.
  EXPECT_TRUE(p.Editor("Vestby", Delete(p.goal_joint)).ok());
  EXPECT_TRUE(p.Editor("Vestby", Move(p.goal_joint, kRootNode, 0)).ok());
  // Once an admin deleted goal 1, nobody but an admin may restore it.
  ASSERT_TRUE(p.Admin(Delete(p.goal1)).ok());
  EXPECT_FALSE(p.Editor("Vestby", Move(p.goal1, kRootNode, 0)).ok());
  EXPECT_FALSE(p.Editor("Moss", Move(p.goal1, kRootNode, 0)).ok());
  EXPECT_TRUE(p.Admin(Move(p.goal1, kRootNode, 0)).ok());
}

TEST(PermissionsOwnershipTest, SubtreeCheckReachesDeepAndInheritedOwners) {
  Plan p;
  // chapter (joint) > goal (joint) > subgoal (joint) > measure (Råde).
  OpId chapter, goal, sub, measure;
  auto create = [&](OpId parent, const char* kind, OpId* out) {
    return p.Editor("Vestby", [&, parent, kind, out](Replica& r) {
      Result<OpId> n = r.CreateNode(parent, 0, kind);
      *out = n.ok() ? *n : kNullId;
      return n.status();
    });
  };
  ASSERT_TRUE(create(kRootNode, "chapter", &chapter).ok());
  ASSERT_TRUE(create(chapter, "goal", &goal).ok());
  ASSERT_TRUE(create(goal, "subgoal", &sub).ok());
  ASSERT_TRUE(create(sub, "measure", &measure).ok());
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    return r.SetField(measure, "owner", OwnedBy({"Råde"}));
  }).ok());
  Status st = p.Editor("Vestby", Delete(chapter));
  EXPECT_TRUE(Mentions(st, measure.ToString() + " is owned by Råde")) << st.ToString();
  EXPECT_TRUE(p.Editor("Råde", Type(measure, "R")).ok());
  EXPECT_TRUE(p.Allowed(p.Make(Delete(chapter)), "Råde"))
      << "everything inside is joint or Råde's";
  // The admin moves Moss's goal into the chapter; its subgoal and measures
  // inherit Moss. Vestby's delete now names the first refused node in plan
  // order: Moss's goal itself.
  ASSERT_TRUE(p.Admin(Move(p.goal_moss, chapter, 0)).ok());
  st = p.Editor("Vestby", Delete(chapter));
  EXPECT_TRUE(Mentions(st, "node " + p.goal_moss.ToString() + " is owned by Moss"))
      << st.ToString();
  // Moving the joint goal, even just to the top of the plan, moves Råde's
  // measure along: refused too.
  EXPECT_FALSE(p.Editor("Vestby", Move(goal, kRootNode, 0)).ok());
  // Moving the Råde measure's joint ancestors is refused for Moss as well.
  EXPECT_FALSE(p.Editor("Moss", Move(sub, p.goal_joint)).ok());
}

TEST(PermissionsOwnershipTest, SubtreeCheckSeesInheritedOwnershipChanges) {
  Plan p;
  // A joint measure with a joint child: Vestby may move it into its own
  // goal, and both become Vestby's by inheritance. Once a node inside it
  // is Moss's, Vestby may not move it any more.
  OpId block;
  ASSERT_TRUE(p.Editor("Vestby", [&](Replica& r) {
    Result<OpId> b = r.CreateNode(p.joint_measure, 0, "text_block");
    block = b.ok() ? *b : kNullId;
    return b.status();
  }).ok());
  EXPECT_TRUE(p.Editor("Vestby", Move(p.joint_measure, p.goal_vestby)).ok());
  EXPECT_EQ(EffectiveOwner(p.server, block), Owners{"Vestby"});
  // Now Moss cannot take it back (node and old parent are Vestby's).
  EXPECT_FALSE(p.Editor("Moss", Move(p.joint_measure, p.goal_joint)).ok());
  // The admin hands the block to Moss: Vestby can no longer move the
  // measure, not even inside its own goal.
  ASSERT_TRUE(p.Admin([&](Replica& r) {
    return r.SetField(block, "owner", OwnedBy({"Moss"}));
  }).ok());
  const Status st = p.Editor("Vestby", Move(p.joint_measure, p.goal_vestby, 1));
  EXPECT_TRUE(Mentions(st, block.ToString() + " is owned by Moss")) << st.ToString();
}

// ---- Other ways in. -------------------------------------------------------

TEST(PermissionsOwnershipTest, NodesCreatedInTheTrashGiveNoWayIn) {
  Plan p;
  // Only a forged op can create a node directly in the trash; it is joint
  // (it never was anywhere else), and moving it in needs the target's
  // rights like any move.
  Op create = p.Forge(OpKind::kCreateNode, kNullId);
  create.parent = kTrashNode;
  create.name = "measure";
  ASSERT_TRUE(p.Submit(create, Role::kEditor, "Vestby").ok());
  EXPECT_TRUE(EffectiveOwner(p.server, create.id).empty());
  EXPECT_FALSE(p.Editor("Vestby", Move(create.id, p.goal_moss)).ok());
  EXPECT_TRUE(p.Editor("Vestby", Move(create.id, p.goal_vestby)).ok());
}

TEST(PermissionsOwnershipTest, UnknownNodesAreLeftToApply) {
  Plan p;
  Op ghost = p.Forge(OpKind::kMoveNode, OpId{99, 99});
  ghost.parent = p.goal_moss;
  EXPECT_TRUE(p.Allowed(ghost, "Vestby")) << "Apply rejects it";
  EXPECT_FALSE(p.Allowed(p.Make(Move(p.moss_measure, p.goal_vestby)), "Vestby"));
}

TEST(PermissionsOwnershipTest, UnresolvableOwnerFailsClosed) {
  // A schema where a section may hold a section lets concurrent edits make
  // two deleted nodes each "deleted from" the other. (The default schema's
  // kinds nest without cycles, so this needs a custom schema.)
  PlanSchema schema;
  KindSchema plan;
  plan.name = "plan";
  plan.children = {"section"};
  ASSERT_TRUE(schema.AddKind(plan).ok());
  KindSchema section;
  section.name = "section";
  section.fields = {{"owner", ValueType::kStringList}};
  section.texts = {"title"};
  section.children = {"section"};
  ASSERT_TRUE(schema.AddKind(section).ok());
  Replica a(1, schema), b(2, schema), c(3, schema);
  const OpId sec_a = *a.CreateNode(kRootNode, 0, "section");
  const OpId sec_b = *a.CreateNode(kRootNode, 1, "section");
  for (Replica* r : {&b, &c}) {
    std::vector<Op> ops(a.log().begin(), a.log().end());
    ASSERT_TRUE(r->ApplyAll(ops).ok());
  }
  // a: A under B, then delete A (from B). b (not seeing that, with a later
  // clock): B under A. c (later still): delete B (from A, once ordered).
  ASSERT_TRUE(a.MoveNode(sec_a, sec_b, 0).ok());
  ASSERT_TRUE(a.DeleteNode(sec_a).ok());
  ASSERT_TRUE(b.InsertText(sec_a, "title", 0, "xyz").ok());
  ASSERT_TRUE(b.MoveNode(sec_b, sec_a, 0).ok());
  ASSERT_TRUE(c.InsertText(sec_b, "title", 0, "xyzw").ok());
  ASSERT_TRUE(c.DeleteNode(sec_b).ok());
  Replica server(9, schema);
  for (Replica* r : {&a, &b, &c}) {
    std::vector<Op> ops(r->log().begin(), r->log().end());
    ASSERT_TRUE(server.ApplyAll(ops).ok());
  }
  ASSERT_TRUE(server.CheckInvariants().ok());
  ASSERT_EQ(server.ParentBeforeDelete(sec_a), sec_b);
  ASSERT_EQ(server.ParentBeforeDelete(sec_b), sec_a);
  EXPECT_FALSE(ResolveOwner(server, sec_a).ok());
  EXPECT_FALSE(ResolveOwner(server, sec_b).ok());
  // Editors may not touch either; the admin may (and may set an owner,
  // which resolves it).
  Replica d(4, schema);
  std::vector<Op> ops(server.log().begin(), server.log().end());
  ASSERT_TRUE(d.ApplyAll(ops).ok());
  ASSERT_TRUE(d.MoveNode(sec_a, kRootNode, 0).ok());
  const Op restore = d.log().back();
  const Status st = CheckOpPermission(server, restore, Role::kEditor, "Vestby");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "only an admin")) << st.ToString();
  EXPECT_TRUE(CheckOpPermission(server, restore, Role::kAdmin, "Vestby").ok());
}

// ---- Review operations (one test per rule, allowed and refused). --------

// The ops `edit` logs on a fresh copy of the server's plan, stamped with
// `user`'s authorship as the server stamps them.
std::vector<Op> MakeAll(Plan& p, const std::function<Status(Replica&)>& edit,
                        const std::string& user = "per",
                        const std::string& municipality = "Viken") {
  Replica copy(p.next_replica++);
  copy.SetAuthor(Author{user, municipality, 0});
  std::vector<Op> all(p.server.log().begin(), p.server.log().end());
  EXPECT_TRUE(copy.ApplyAll(all).ok());
  const size_t before = copy.log().size();
  const Status st = edit(copy);
  EXPECT_TRUE(st.ok()) << "the core refused the attempt itself: "
                       << st.ToString();
  std::vector<Op> out(copy.log().begin() + before, copy.log().end());
  for (Op& op : out) op.author = Author{user, municipality, 0};
  return out;
}
Op MakeOne(Plan& p, const std::function<Status(Replica&)>& edit,
           const std::string& user = "per",
           const std::string& municipality = "Viken") {
  std::vector<Op> ops = MakeAll(p, edit, user, municipality);
  EXPECT_EQ(ops.size(), 1u);
  return ops.empty() ? Op{} : ops.back();
}

Status Check(Plan& p, const Op& op, Role role, const std::string& municipality) {
  return CheckOpPermission(p.server, op, role, municipality);
}

constexpr Role kAllRoles[] = {Role::kViewer, Role::kAuditor, Role::kReviewer,
                              Role::kEditor, Role::kAdmin};

// A thread on Moss's measure opened by per (reviewer) on the server.
OpId AddThread(Plan& p, OpId node, const std::string& user = "per") {
  OpId thread;
  for (const Op& op : MakeAll(p, [&](Replica& r) {
         Result<OpId> t = r.AddThread({node, "", 0, 0, kNullId, kNullId}, "Hei");
         thread = t.ok() ? *t : kNullId;
         return t.status();
       }, user)) {
    EXPECT_TRUE(p.server.Apply(op).ok());
  }
  return thread;
}

OpId AddSuggestion(Plan& p, const std::function<Result<OpId>(Replica&)>& make) {
  OpId id;
  for (const Op& op : MakeAll(p, [&](Replica& r) {
         Result<OpId> s = make(r);
         id = s.ok() ? *s : kNullId;
         return s.status();
       })) {
    EXPECT_TRUE(p.server.Apply(op).ok());
  }
  return id;
}

TEST(PermissionsReviewTest, EveryRoleMarksThreadsRead) {
  Plan p;
  const OpId thread = AddThread(p, p.moss_measure);
  const Op read = MakeOne(p, [&](Replica& r) { return r.MarkRead(thread); },
                          "vera", "Våler");
  for (Role role : kAllRoles) {
    EXPECT_TRUE(Check(p, read, role, "Våler").ok()) << RoleName(role);
  }
}

TEST(PermissionsReviewTest, ReviewersAndUpComment) {
  Plan p;
  const Op comment = MakeOne(p, [&](Replica& r) {
    return r.AddThread({p.moss_measure, "title", 0, 4, kNullId, kNullId}, "Hvorfor?")
        .status();
  });
  const OpId thread = AddThread(p, p.goal_vestby);
  const Op reply = MakeOne(p, [&](Replica& r) { return r.Reply(thread, "Ja").status(); });
  for (const Op* op : {&comment, &reply}) {
    EXPECT_FALSE(Check(p, *op, Role::kViewer, "Våler").ok());
    const Status st = Check(p, *op, Role::kAuditor, "Moss");
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(Mentions(st, "role auditor may not comment")) << st.ToString();
    // Comments need no ownership: a reviewer of any municipality may.
    EXPECT_TRUE(Check(p, *op, Role::kReviewer, "Viken").ok());
    EXPECT_TRUE(Check(p, *op, Role::kEditor, "Vestby").ok());
    EXPECT_TRUE(Check(p, *op, Role::kAdmin, "Moss").ok());
  }
  EXPECT_TRUE(p.Submit(comment, Role::kReviewer, "Viken").ok());
}

TEST(PermissionsReviewTest, OnlyTheAuthorChangesAComment) {
  Plan p;
  const OpId thread = AddThread(p, p.moss_measure, "per");
  const Op edit_by_per = MakeOne(p, [&](Replica& r) {
    return r.EditComment(thread, "Hei igjen");
  }, "per");
  // Forged: ola's core would refuse to make them.
  Op edit_by_ola = MakeOne(p, [&](Replica& r) {
    return r.EditComment(thread, "Ola var her");
  });
  edit_by_ola.author = Author{"ola", "Vestby", 0};
  Op delete_by_ola = MakeOne(p, [&](Replica& r) {
    return r.DeleteComment(thread);
  });
  delete_by_ola.author = Author{"ola", "Vestby", 0};
  EXPECT_FALSE(Check(p, edit_by_per, Role::kViewer, "Viken").ok())
      << "a viewer writes no comments";
  for (Role role : {Role::kReviewer, Role::kEditor, Role::kAdmin}) {
    Status st = Check(p, edit_by_ola, role, "Vestby");
    EXPECT_FALSE(st.ok()) << RoleName(role);
    EXPECT_TRUE(Mentions(st, "only its author")) << st.ToString();
    EXPECT_FALSE(Check(p, delete_by_ola, role, "Vestby").ok()) << RoleName(role);
  }
  EXPECT_TRUE(p.Submit(edit_by_per, Role::kReviewer, "Viken").ok());
  const Op delete_by_per = MakeOne(p, [&](Replica& r) {
    return r.DeleteComment(thread);
  }, "per");
  EXPECT_TRUE(p.Submit(delete_by_per, Role::kReviewer, "Viken").ok());
  EXPECT_TRUE(p.server.review().FindComment(thread)->deleted);
}

TEST(PermissionsReviewTest, ReviewersAssignAndSetDueDatesEditorsResolve) {
  Plan p;
  const OpId thread = AddThread(p, p.moss_measure);
  const Op assign = MakeOne(p, [&](Replica& r) {
    return r.SetThread(thread, "assignee", FieldValue::String("municipality:Moss"));
  });
  const Op due = MakeOne(p, [&](Replica& r) {
    return r.SetThread(thread, "due", FieldValue::Date("2027-01-31"));
  });
  const Op resolve = MakeOne(p, [&](Replica& r) {
    return r.SetThread(thread, "resolved", FieldValue::Bool(true));
  });
  for (const Op* op : {&assign, &due}) {
    EXPECT_FALSE(Check(p, *op, Role::kAuditor, "Moss").ok());
    EXPECT_TRUE(Check(p, *op, Role::kReviewer, "Viken").ok());
    EXPECT_TRUE(Check(p, *op, Role::kEditor, "Vestby").ok());
  }
  const Status st = Check(p, resolve, Role::kReviewer, "Viken");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "may not resolve")) << st.ToString();
  EXPECT_FALSE(Check(p, resolve, Role::kViewer, "Viken").ok());
  EXPECT_TRUE(Check(p, resolve, Role::kEditor, "Vestby").ok())
      << "resolving changes no plan content: any editor may";
  EXPECT_TRUE(Check(p, resolve, Role::kAdmin, "Moss").ok());
}

TEST(PermissionsReviewTest, ReviewersSuggestAnywhereViewersNot) {
  Plan p;
  const std::vector<std::function<Status(Replica&)>> suggestions = {
      [&](Replica& r) { return r.SuggestText(p.moss_measure, "title", 0, 4, "Vestby").status(); },
      [&](Replica& r) {
        return r.SuggestField(p.moss_measure, "status", FieldValue::String("done")).status();
      },
      [&](Replica& r) {
        return r.SuggestField(p.moss_measure, "owner", FieldValue::StringList({"Viken"})).status();
      },
      [&](Replica& r) { return r.SuggestNode(p.goal_moss, 0, "measure", "Nytt").status(); },
      [&](Replica& r) { return r.SuggestMove(p.moss_measure, p.goal_vestby, 0).status(); },
      [&](Replica& r) { return r.SuggestDelete(p.goal1).status(); },
  };
  for (const auto& make : suggestions) {
    const Op op = MakeOne(p, make);
    EXPECT_FALSE(Check(p, op, Role::kViewer, "Moss").ok()) << DescribeOp(op);
    const Status st = Check(p, op, Role::kAuditor, "Moss");
    EXPECT_TRUE(Mentions(st, "may not suggest")) << st.ToString();
    EXPECT_TRUE(Check(p, op, Role::kReviewer, "Viken").ok()) << DescribeOp(op);
    EXPECT_TRUE(Check(p, op, Role::kEditor, "Vestby").ok()) << DescribeOp(op);
    EXPECT_TRUE(p.Submit(op, Role::kReviewer, "Viken").ok());
  }
}

TEST(PermissionsReviewTest, AcceptingAndRejectingNeedTheRightToMakeTheChange) {
  Plan p;
  const OpId text = AddSuggestion(p, [&](Replica& r) {
    return r.SuggestText(p.moss_measure, "title", 0, 4, "Vår");
  });
  auto accept = [&](OpId s, const std::string& user, const std::string& mun) {
    return MakeAll(p, [s](Replica& r) { return r.AcceptSuggestion(s); }, user, mun);
  };
  auto reject = [&](OpId s) {
    return MakeOne(p, [s](Replica& r) { return r.RejectSuggestion(s, "Nei"); }, "anne", "Moss");
  };
  // Vestby may neither accept nor reject into Moss's measure.
  std::vector<Op> by_vestby = accept(text, "ola", "Vestby");
  ASSERT_GE(by_vestby.size(), 2u);
  const Op& accept_op = by_vestby.back();
  ASSERT_EQ(accept_op.kind, OpKind::kAcceptSuggestion);
  Status st = Check(p, accept_op, Role::kEditor, "Vestby");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "accepting suggestion")) << st.ToString();
  EXPECT_TRUE(Mentions(st, "owned by Moss")) << st.ToString();
  EXPECT_FALSE(Check(p, by_vestby.front(), Role::kEditor, "Vestby").ok())
      << "nor make the edit itself";
  const Op no = reject(text);
  st = Check(p, no, Role::kEditor, "Vestby");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(Mentions(st, "rejecting suggestion")) << st.ToString();
  // Reviewers, auditors and viewers decide nothing.
  for (Role role : {Role::kViewer, Role::kAuditor, Role::kReviewer}) {
    EXPECT_FALSE(Check(p, accept_op, role, "Moss").ok()) << RoleName(role);
    EXPECT_FALSE(Check(p, no, role, "Moss").ok()) << RoleName(role);
  }
  EXPECT_TRUE(Check(p, no, Role::kEditor, "Moss").ok());
  EXPECT_TRUE(Check(p, accept_op, Role::kAdmin, "Vestby").ok());
  // Moss accepts: the edits and then the accept op, all allowed.
  for (const Op& op : accept(text, "anne", "Moss")) {
    EXPECT_TRUE(p.Submit(op, Role::kEditor, "Moss").ok()) << DescribeOp(op);
  }
  EXPECT_EQ(p.server.review().FindSuggestion(text)->status, SuggestionStatus::kAccepted);
  // A new node under Vestby's goal: Vestby's to decide, not Moss's.
  const OpId node = AddSuggestion(p, [&](Replica& r) {
    return r.SuggestNode(p.goal_vestby, 0, "measure", "Sykkelvei");
  });
  EXPECT_TRUE(Check(p, reject(node), Role::kEditor, "Vestby").ok());
  EXPECT_FALSE(Check(p, reject(node), Role::kEditor, "Moss").ok());
  // The owner field stays the admin's, also through a suggestion.
  const OpId owner = AddSuggestion(p, [&](Replica& r) {
    return r.SuggestField(p.moss_measure, "owner", FieldValue::StringList({"Vestby"}));
  });
  EXPECT_FALSE(Check(p, reject(owner), Role::kEditor, "Moss").ok());
  EXPECT_TRUE(Check(p, reject(owner), Role::kAdmin, "Moss").ok());
  // Deleting the joint goal 1 carries measures of three municipalities.
  const OpId del = AddSuggestion(p, [&](Replica& r) { return r.SuggestDelete(p.goal1); });
  st = Check(p, reject(del), Role::kEditor, "Moss");
  EXPECT_TRUE(Mentions(st, "owned by Vestby")) << st.ToString();
  // Moving Moss's measure into Vestby's goal needs both.
  const OpId move = AddSuggestion(p, [&](Replica& r) {
    return r.SuggestMove(p.moss_measure, p.goal_vestby, 0);
  });
  EXPECT_FALSE(Check(p, reject(move), Role::kEditor, "Moss").ok());
  EXPECT_FALSE(Check(p, reject(move), Role::kEditor, "Vestby").ok());
}

TEST(PermissionsReviewTest, EditorsApproveForTheirOwnMunicipalityOnItsParts) {
  Plan p;
  auto approve = [&](OpId node, const std::string& mun) {
    return MakeOne(p, [=](Replica& r) { return r.Approve(node, mun); }, "anne", "Moss");
  };
  auto revoke = [&](OpId node, const std::string& mun) {
    return MakeOne(p, [=](Replica& r) { return r.RevokeApproval(node, mun); }, "anne", "Moss");
  };
  const Op moss_goal = approve(p.goal_moss, "Moss");
  EXPECT_FALSE(moss_goal.spans.empty()) << "it carries the approver's version";
  EXPECT_TRUE(Check(p, moss_goal, Role::kEditor, "Moss").ok());
  // Not for another municipality, not on another's part.
  Status st = Check(p, moss_goal, Role::kEditor, "Vestby");
  EXPECT_TRUE(Mentions(st, "own municipality")) << st.ToString();
  st = Check(p, approve(p.goal_moss, "Vestby"), Role::kEditor, "Vestby");
  EXPECT_TRUE(Mentions(st, "owned by Moss")) << st.ToString();
  // Joint parts: every municipality approves for itself.
  EXPECT_TRUE(Check(p, approve(p.goal_joint, "Vestby"), Role::kEditor, "Vestby").ok());
  EXPECT_TRUE(Check(p, approve(kRootNode, "Råde"), Role::kEditor, "Råde").ok());
  // Reviewers and below approve nothing; admins anything.
  for (Role role : {Role::kViewer, Role::kAuditor, Role::kReviewer}) {
    EXPECT_FALSE(Check(p, moss_goal, role, "Moss").ok()) << RoleName(role);
    EXPECT_FALSE(Check(p, revoke(p.goal_moss, "Moss"), role, "Moss").ok());
  }
  EXPECT_TRUE(Check(p, approve(p.goal_vestby, "Moss"), Role::kAdmin, "Moss").ok());
  // Revoking follows the same rule.
  EXPECT_TRUE(p.Submit(moss_goal, Role::kEditor, "Moss").ok());
  EXPECT_FALSE(Check(p, revoke(p.goal_moss, "Moss"), Role::kEditor, "Vestby").ok());
  EXPECT_FALSE(Check(p, revoke(p.goal_moss, "Vestby"), Role::kEditor, "Vestby").ok());
  EXPECT_TRUE(p.Submit(revoke(p.goal_moss, "Moss"), Role::kEditor, "Moss").ok());
}

// The server's admission (Replica::CheckRemoteOp) takes every review kind,
// including an approve naming the approver's whole version vector.
TEST(PermissionsReviewTest, RemoteChecksAdmitEveryReviewKind) {
  Plan p;
  const OpId thread = AddThread(p, p.moss_measure);
  const OpId sug = AddSuggestion(p, [&](Replica& r) {
    return r.SuggestText(p.moss_measure, "title", 0, 4, "Vår");
  });
  std::vector<std::vector<Op>> batches = {
      MakeAll(p, [&](Replica& r) { return r.Reply(thread, "Svar").status(); }),
      MakeAll(p, [&](Replica& r) { return r.MarkRead(thread); }),
      MakeAll(p, [&](Replica& r) { return r.Approve(p.goal_moss, "Moss"); }, "anne", "Moss"),
      MakeAll(p, [&](Replica& r) { return r.AcceptSuggestion(sug); }, "anne", "Moss"),
  };
  for (const auto& batch : batches) {
    for (const Op& op : batch) {
      const Status st = p.server.CheckRemoteOp(op, p.server.max_lamport() + op.Length());
      EXPECT_TRUE(st.ok()) << DescribeOp(op) << ": " << st.ToString();
      EXPECT_TRUE(p.server.Apply(op).ok());
    }
  }
}

}  // namespace
}  // namespace samplan
