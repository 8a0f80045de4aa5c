// Package assembly runs owners' assemblies (业主大会会议): their agenda and
// settings, the lifecycle DRAFT → PUBLISHED → OPEN → CLOSED → PRELIMINARY
// (→ CERTIFIED, or CANCELLED), the frozen roll, ballot intake from every
// channel with one counted ballot per voter, live progress, and the tally
// at closing.
//
// Publishing freezes the community's roll into a snapshot whose digest every
// ballot names, and freezes the agenda. Ballots arrive as the canonical bytes
// of package ballot with an ed25519 signature; Registry.Submit checks the
// signature outside any transaction, then decides in one group-committed
// transaction whether the ballot counts, is pending a second staff member's
// confirmation, supersedes an earlier one, or is refused — and stores every
// authentic ballot with that outcome and its reason, fsynced before the
// reply. Progress counters are updated in the same transaction, so reading
// them costs the same whatever the number of ballots.
//
// Opening and closing follow the injected clock. CloseDue closes every
// assembly whose window has ended and stores the tally package's result as
// the preliminary result.
package assembly
