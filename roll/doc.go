// Package roll keeps the owner roll: communities (小区), their exclusive
// units (专有部分) with floor areas, the owners of record, and the owners'
// registered signing keys.
//
// Build validates units and owners to import without any I/O and reports
// every problem at once; ParseFile reads a roster from CSV or Excel into the
// same form, naming file, row and column of each problem. Book stores the
// roll through a store.Store so that an import is all-or-nothing.
//
// Owners' identity document numbers are never kept: an Identifier turns them
// into a keyed hash (HMAC-SHA256 with the server's secret), from which the
// owner id is derived, so that one person is recognised across units.
// Phone numbers are kept so that staff can call, and are shown masked except
// through Book.RevealPhone, which records who asked and why.
package roll
