// Tests of access tokens (HS256) and the permission rules.
#include "server/auth.h"

#include <gtest/gtest.h>

#include "crdt/replica.h"
#include "server/permissions.h"

namespace samplan {
namespace {

Claims Sample() {
  Claims c;
  c.user = "ola";
  c.municipality = "Vestby";
  c.plans["demo"] = Role::kEditor;
  c.plans["*"] = Role::kViewer;
  c.issued_s = 1000;
  c.expires_s = 5000;
  return c;
}

TEST(AuthTest, TokensRoundTripAndExpire) {
  TokenSigner signer("0123456789abcdef0123456789abcdef");
  const std::string token = signer.Mint(Sample());
  Claims c;
  ASSERT_TRUE(signer.Verify(token, 4999, &c).ok());
  EXPECT_EQ(c.user, "ola");
  EXPECT_EQ(c.municipality, "Vestby");
  EXPECT_EQ(*c.RoleFor("demo"), Role::kEditor);
  EXPECT_EQ(*c.RoleFor("other"), Role::kViewer);
  EXPECT_EQ(signer.Verify(token, 5000, &c).message(), "token has expired");
}

TEST(AuthTest, TamperedOrForeignTokensFail) {
  TokenSigner signer("0123456789abcdef0123456789abcdef");
  TokenSigner other("fedcba9876543210fedcba9876543210");
  const std::string token = signer.Mint(Sample());
  Claims c;
  EXPECT_FALSE(other.Verify(token, 10, &c).ok());
  std::string tampered = token;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(signer.Verify(tampered, 10, &c).ok());
  EXPECT_FALSE(signer.Verify("a.b", 10, &c).ok());
  EXPECT_FALSE(signer.Verify("", 10, &c).ok());
  EXPECT_FALSE(signer.Verify("a.b.c.d", 10, &c).ok());
  EXPECT_FALSE(signer.Verify("!!.??.##", 10, &c).ok());
}

TEST(PermissionsTest, OwnershipIsInheritedAndRolesLimited) {
  Replica r(5);
  Result<OpId> goal = r.CreateNode(kRootNode, 0, "goal");
  ASSERT_TRUE(goal.ok());
  Result<OpId> measure = r.CreateNode(*goal, 0, "measure");
  ASSERT_TRUE(measure.ok());
  ASSERT_TRUE(r.SetField(*goal, "owner", FieldValue::StringList({"Moss"})).ok());
  EXPECT_EQ(EffectiveOwner(r, *measure), std::vector<std::string>{"Moss"});
  EXPECT_TRUE(EffectiveOwner(r, kRootNode).empty());

  Replica author(6);
  std::vector<Op> ops(r.log().begin(), r.log().end());
  ASSERT_TRUE(author.ApplyAll(ops).ok());
  ASSERT_TRUE(author.InsertText(*measure, "title", 0, "x").ok());
  const Op edit = author.log().back();
  EXPECT_TRUE(CheckOpPermission(r, edit, Role::kEditor, "Moss").ok());
  EXPECT_FALSE(CheckOpPermission(r, edit, Role::kEditor, "Vestby").ok());
  EXPECT_TRUE(CheckOpPermission(r, edit, Role::kAdmin, "Vestby").ok());
  for (Role role : {Role::kReviewer, Role::kAuditor, Role::kViewer}) {
    EXPECT_FALSE(CheckOpPermission(r, edit, role, "Moss").ok());
  }
  ASSERT_TRUE(author.SetField(kRootNode, "status", FieldValue::String("adopted")).ok());
  EXPECT_TRUE(CheckOpPermission(r, author.log().back(), Role::kEditor, "Vestby").ok())
      << "the root is joint";
  ASSERT_TRUE(author.SetField(*measure, "owner", FieldValue::StringList({"Vestby"})).ok());
  EXPECT_FALSE(CheckOpPermission(r, author.log().back(), Role::kEditor, "Moss").ok());
  EXPECT_TRUE(CheckOpPermission(r, author.log().back(), Role::kAdmin, "Moss").ok());
}

}  // namespace
}  // namespace samplan
