// The ordering rule shared by every sequence in the core (text characters,
// sibling slots in the plan tree, table rows and columns).
//
// A new element is inserted between its left origin (the element that was
// immediately before it when it was created, or none = the start) and its
// right origin (the element that was immediately after it, tombstones
// included, or none = the end). Concurrent elements between the same origins
// are ordered by the FugueMax rule (Weidner, Gentle and Kleppmann, "The Art
// of the Fugue: Minimizing Interleaving in Collaborative Text Editing",
// 2023), written in YATA form as in Gentle's reference-crdts "YjsMod" and
// diamond-types. Two users typing concurrently at one place never have
// their characters interleaved, forwards or backwards.
//
// Integration of element X with origins (L, R); positions count all
// elements including tombstones; iL = index(L) (-1 for none), iR = index(R)
// (size for none):
//   dest = iL + 1; scanning = false
//   for (i = iL + 1; ; ++i) {
//     if (!scanning) dest = i
//     if (i == size || i == iR) break
//     O = element i; oL = index(O.left) (-1 for none);
//     oR = index(O.right) (size for none)
//     if (oL < iL) break
//     if (oL == iL) {
//       if (oR < iR) { scanning = true; continue }
//       if (oR == iR && X.replica < O.replica) break
//       scanning = false; continue
//     }
//     // oL > iL: O belongs to a subtree of an element after L; skip it
//   }
//   insert X at dest
// Replica ids break the tie; (replica, counter) are unique, and two
// concurrent elements with the same origins always come from different
// replicas.
#ifndef SAMPLAN_CRDT_SEQUENCE_ORDER_H_
#define SAMPLAN_CRDT_SEQUENCE_ORDER_H_
#endif  // SAMPLAN_CRDT_SEQUENCE_ORDER_H_
