package format

// Status holds a flow's status bits, numbered as the kernel numbers them
// (enum ip_conntrack_status). Text formats show only some of them:
// SEEN_REPLY (as the absence of [UNREPLIED]), ASSURED, OFFLOAD, HW_OFFLOAD
// and, in the 2.4 kernels' /proc/net/ip_conntrack, CONFIRMED.
type Status uint32

// The status bits.
const (
	StatusExpected     Status = 1 << iota // expected by a helper
	StatusSeenReply                       // packets seen in both directions
	StatusAssured                         // not dropped early when the table is full
	StatusConfirmed                       // in the table
	StatusSrcNAT                          // source NAT applies
	StatusDstNAT                          // destination NAT applies
	StatusSeqAdjust                       // TCP sequence numbers adjusted
	StatusSrcNATDone                      // source NAT set up
	StatusDstNATDone                      // destination NAT set up
	StatusDying                           // being removed
	StatusFixedTimeout                    // timeout does not change
	StatusTemplate                        // a template, not a flow
	StatusNATClash                        // NAT clash resolved (was UNTRACKED)
	StatusHelper                          // helper set explicitly
	StatusOffload                         // in a software flow table
	StatusHWOffload                       // in a hardware flow table
)

// statusNames are the bits' names as the kernel's netlink specification
// (Documentation/netlink/specs/conntrack.yaml) spells them.
var statusNames = [...]string{
	"expected", "seen-reply", "assured", "confirmed", "src-nat", "dst-nat",
	"seq-adj", "src-nat-done", "dst-nat-done", "dying", "fixed-timeout",
	"template", "nat-clash", "helper", "offload", "hw-offload",
}

// flagWord returns the flag word that the kernel and conntrack print for s
// after the reply tuple, "" for none.
func (s Status) flagWord() string {
	switch {
	case s&StatusHWOffload != 0:
		return "[HW_OFFLOAD]"
	case s&StatusOffload != 0:
		return "[OFFLOAD]"
	case s&StatusAssured != 0:
		return "[ASSURED]"
	}
	return ""
}

// offloaded reports whether the flow sits in a flow table, in which case the
// kernel prints neither its timeout nor its TCP state.
func (s Status) offloaded() bool { return s&(StatusOffload|StatusHWOffload) != 0 }
