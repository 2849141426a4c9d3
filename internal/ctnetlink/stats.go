package ctnetlink

import (
	"fmt"

	"github.com/ti-mo/conntrack"
)

// TableSize returns how many flows the kernel's table holds and how many
// it can hold (nf_conntrack_max), asked over netlink. Its error says why
// netlink cannot be used here: no permission (CAP_NET_ADMIN), or a kernel
// without ctnetlink.
func TableSize() (entries, max int, err error) {
	c, err := conntrack.Dial(nil)
	if err != nil {
		return 0, 0, fmt.Errorf("netlink: %w", err)
	}
	defer c.Close()
	s, err := c.StatsGlobal()
	if err != nil {
		return 0, 0, fmt.Errorf("netlink: %w", err)
	}
	return int(s.Entries), int(s.MaxEntries), nil
}
