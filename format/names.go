package format

// Names of the model's enumerations, for encodings such as JSON, which spell
// them out: the kernel's netlink names for status bits, conntrack's for
// protocols, states and events.

// ParseFamily returns the family named name ("ipv4", "ipv6").
func ParseFamily(name string) (Family, bool) {
	switch name {
	case "ipv4":
		return IPv4, true
	case "ipv6":
		return IPv6, true
	}
	return 0, false
}

// ParseProto returns the protocol named name, as Proto.String names it; it
// does not take "unknown".
func ParseProto(name string) (Proto, bool) { return protoByName([]byte(name)) }

// ParseEvent returns the event type named name ("new", "update",
// "destroy").
func ParseEvent(name string) (Event, bool) {
	for e := EventNew; e <= EventDestroy; e++ {
		if e.String() == name {
			return e, true
		}
	}
	return 0, false
}

// StatusName returns the netlink name of status bit b, a single bit, or ""
// if it has none.
func StatusName(b Status) string {
	for i, n := range statusNames {
		if b == 1<<i {
			return n
		}
	}
	return ""
}

// ParseStatus returns the status bit named name, as StatusName names it.
func ParseStatus(name string) (Status, bool) {
	for i, n := range statusNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

var quirkNames = [...]string{"unknown-name", "listen", "trailing-space", "use-before-mark", "signed-mark", "spaced-micros", "null-state", "crlf",
	"old-libnfct", "no-l3proto", "expecting"}

// QuirkName returns the name of quirk q, a single bit, or "".
func QuirkName(q Quirks) string {
	for i, n := range quirkNames {
		if q == 1<<i {
			return n
		}
	}
	return ""
}

// ParseQuirk returns the quirk named name, as QuirkName names it.
func ParseQuirk(name string) (Quirks, bool) {
	for i, n := range quirkNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// ParseSlot returns the slot named name, as Slot.String names it.
func ParseSlot(name string) (Slot, bool) {
	for i, n := range slotNames {
		if n == name {
			return Slot(i), true
		}
	}
	return 0, false
}

// ExpectFlagName returns the name conntrack prints for expectation flag fl,
// a single bit, or "".
func ExpectFlagName(fl ExpectFlags) string {
	for i, n := range expectFlagNames {
		if fl == 1<<i {
			return n
		}
	}
	return ""
}

// ParseExpectFlag returns the expectation flag named name, as
// ExpectFlagName names it.
func ParseExpectFlag(name string) (ExpectFlags, bool) {
	for i, n := range expectFlagNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}
