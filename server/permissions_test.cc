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

}  // namespace
}  // namespace samplan
