package format

// State is the state of a flow's protocol state machine, numbered as the
// kernel numbers it. Its meaning depends on the flow's protocol: TCP, SCTP
// and DCCP have state machines; for every other protocol it is zero.
type State uint8

// TCP states.
const (
	TCPNone State = iota
	TCPSynSent
	TCPSynRecv
	TCPEstablished
	TCPFinWait
	TCPCloseWait
	TCPLastAck
	TCPTimeWait
	TCPClose
	TCPSynSent2 // simultaneous open; printed as LISTEN before Linux 2.6.31
)

// SCTP states.
const (
	SCTPNone State = iota
	SCTPClosed
	SCTPCookieWait
	SCTPCookieEchoed
	SCTPEstablished
	SCTPShutdownSent
	SCTPShutdownRecd
	SCTPShutdownAckSent
	SCTPHeartbeatSent
	SCTPHeartbeatAcked // Linux 4.3 to 6.1
)

// DCCP states.
const (
	DCCPNone State = iota
	DCCPRequest
	DCCPRespond
	DCCPPartOpen
	DCCPOpen
	DCCPCloseReq
	DCCPClosing
	DCCPTimeWait
	DCCPIgnore
	DCCPInvalid
)

var (
	tcpStates  = [...]string{"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2"}
	sctpStates = [...]string{"NONE", "CLOSED", "COOKIE_WAIT", "COOKIE_ECHOED", "ESTABLISHED", "SHUTDOWN_SENT", "SHUTDOWN_RECD", "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT", "HEARTBEAT_ACKED"}
	dccpStates = [...]string{"NONE", "REQUEST", "RESPOND", "PARTOPEN", "OPEN", "CLOSEREQ", "CLOSING", "TIMEWAIT", "IGNORE", "INVALID"}
)

// stateNames returns the kernel's state name table of p, or nil when p has
// no state machine.
func stateNames(p Proto) []string {
	switch p {
	case TCP:
		return tcpStates[:]
	case SCTP:
		return sctpStates[:]
	case DCCP:
		return dccpStates[:]
	}
	return nil
}

// HasStates reports whether p has a state machine, that is, whether the
// kernel prints a state for its flows.
func (p Proto) HasStates() bool { return stateNames(p) != nil }

func parseState(p Proto, name []byte) (State, bool) {
	if p == TCP { // the common case, without a loop of compares
		switch string(name) {
		case "ESTABLISHED":
			return TCPEstablished, true
		case "TIME_WAIT":
			return TCPTimeWait, true
		}
	}
	for i, n := range stateNames(p) {
		if string(name) == n {
			return State(i), true
		}
	}
	if p == TCP && string(name) == "LISTEN" {
		return TCPSynSent2, true
	}
	return 0, false
}
