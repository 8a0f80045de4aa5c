package tally

import "math/bits"

// cmp128 compares the exact products a·b and c·d of unsigned 64-bit integers
// and returns -1, 0 or +1. Each product is formed in 128 bits with
// bits.Mul64, so no comparison of the tally can overflow whatever the areas,
// headcounts and fractions.
func cmp128(a, b, c, d uint64) int {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	switch {
	case h1 < h2:
		return -1
	case h1 > h2:
		return 1
	case l1 < l2:
		return -1
	case l1 > l2:
		return 1
	}
	return 0
}
