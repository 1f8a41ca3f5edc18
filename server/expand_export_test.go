package server

// SetExpandLimits sets the limits of collection-valued $expand for a test
// and returns the function that restores them.
func SetExpandLimits(pageSize, rows, perParent int) (restore func()) {
	p, r, pp := expandPageSize, maxExpandRows, maxExpandPerParent
	expandPageSize, maxExpandRows, maxExpandPerParent = pageSize, rows, perParent
	return func() { expandPageSize, maxExpandRows, maxExpandPerParent = p, r, pp }
}
