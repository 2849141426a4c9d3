package parquet

import (
	"github.com/ctconv/ctconv/format"
)

// statsRow is the row of a record of the table's counters: the CPU
// (NULL for the table's, as conntrack -C counts it), then each counter,
// named as conntrack -S and JSON Lines name it; NULL where the source
// printed none.
type statsRow struct {
	capture

	CPU   *int32  `parquet:"cpu"`
	Netns *string `parquet:"netns,dict"`

	Searched      *uint64 `parquet:"searched"`
	Found         *uint64 `parquet:"found"`
	New           *uint64 `parquet:"new"`
	Invalid       *uint64 `parquet:"invalid"`
	Ignore        *uint64 `parquet:"ignore"`
	Delete        *uint64 `parquet:"delete"`
	DeleteList    *uint64 `parquet:"delete_list"`
	Insert        *uint64 `parquet:"insert"`
	InsertFailed  *uint64 `parquet:"insert_failed"`
	Drop          *uint64 `parquet:"drop"`
	EarlyDrop     *uint64 `parquet:"early_drop"`
	Error         *uint64 `parquet:"error"`
	SearchRestart *uint64 `parquet:"search_restart"`
	ClashResolve  *uint64 `parquet:"clash_resolve"`
	ChainTooLong  *uint64 `parquet:"chaintoolong"`
	Entries       *uint64 `parquet:"entries"`
	MaxEntries    *uint64 `parquet:"max_entries"`
	ExpectNew     *uint64 `parquet:"expect_new"`
	ExpectCreate  *uint64 `parquet:"expect_create"`
	ExpectDelete  *uint64 `parquet:"expect_delete"`
}

// statCount is one more than the last counter: format.Stat's are 1 to
// statCount-1.
const statCount = int(format.StatExpectDelete) + 1

// putStats fills a row of statsRow's columns, in their order, with c and
// s.
func putStats(g *group, c *capture, s *format.Stats) error {
	if s.CPU > 1<<31-1 {
		return &unprintable{"a CPU number beyond 2^31"}
	}
	var values [statCount]uint64
	var has [statCount]bool
	n := 0
	for st, x := range s.All() {
		if int(st) < statCount {
			values[st], has[st] = x, true
			n++
		}
	}
	if n == 0 {
		return &unprintable{"a record of the table's counters without counters"}
	}
	g.capture(c)
	optInt(g, int64(s.CPU), s.CPU >= 0)
	g.optStr(s.Netns, s.Netns != "")
	for st := 1; st < statCount; st++ {
		optInt(g, values[st], has[st])
	}
	return nil
}
