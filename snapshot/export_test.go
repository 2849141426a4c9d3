package snapshot

// SetAsideFrom sets the size of the smallest key index that grows aside
// (keyIndex.aside), so that a test's Diff of a few flows sees it grow so;
// it returns what sets it back.
func SetAsideFrom(n int) (restore func()) {
	old := asideFrom
	asideFrom = n
	return func() { asideFrom = old }
}

// ColumnFlows is the flows of a block of columns.
const ColumnFlows = columnFlows
