package roll

// ReadXLSX is readXLSX, for the tests that compare it with excelize's
// GetRows.
var ReadXLSX = readXLSX
