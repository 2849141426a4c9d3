package main

import (
	"cmp"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ctconv/ctconv/format"
)

// The OpenMetrics text format (https://prometheus.io/docs/specs/om/open_metrics_spec/)
// of ctconv stats: a metric family a block of # TYPE, # HELP and # UNIT,
// then its samples; # EOF at the end. Names and label values are ours
// (ASCII), label values escaped all the same.

// statHelp is the # HELP of each kernel counter.
var statHelp = map[format.Stat]string{
	format.StatSearched:      "Hash table lookups (0 since Linux 4.9).",
	format.StatFound:         "Lookups that found an entry.",
	format.StatNew:           "Entries added not expected (0 since Linux 4.9).",
	format.StatInvalid:       "Packets that could not be tracked.",
	format.StatIgnore:        "Packets already tracked, or not to track (0 since Linux 5.10).",
	format.StatDelete:        "Entries deleted (0 since Linux 4.9).",
	format.StatDeleteList:    "Entries deleted from the list (0 since Linux 4.9).",
	format.StatInsert:        "Entries inserted.",
	format.StatInsertFailed:  "Entries that could not be inserted (clashes not resolved).",
	format.StatDrop:          "Packets dropped for want of an entry (the table full).",
	format.StatEarlyDrop:     "Entries dropped to make room for new ones.",
	format.StatError:         "ICMP errors that matched no entry (/proc's icmp_error).",
	format.StatSearchRestart: "Lookups restarted for a hash resize.",
	format.StatClashResolve:  "Insertion clashes resolved.",
	format.StatChainTooLong:  "Hash chains found too long.",
	format.StatExpectNew:     "Expectations that matched a new connection.",
	format.StatExpectCreate:  "Expectations created.",
	format.StatExpectDelete:  "Expectations deleted.",
}

// metricsWriter writes metric families in the OpenMetrics text format.
type metricsWriter struct {
	w   io.Writer
	b   []byte
	err error
}

// family starts a metric family: its type, help and unit ("" for none).
func (m *metricsWriter) family(name, typ, help, unit string) {
	m.b = append(m.b, "# TYPE "+name+" "+typ+"\n# HELP "+name+" "...)
	m.b = appendEscapedOM(m.b, help, false)
	m.b = append(m.b, '\n')
	if unit != "" {
		m.b = append(m.b, "# UNIT "+name+" "+unit+"\n"...)
	}
}

// sample writes a sample: its name, labels as name, value pairs, value.
func (m *metricsWriter) sample(name string, value string, labels ...string) {
	m.b = append(m.b, name...)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			m.b = append(m.b, '{')
		} else {
			m.b = append(m.b, ',')
		}
		m.b = append(m.b, labels[i]+`="`...)
		m.b = appendEscapedOM(m.b, labels[i+1], true)
		m.b = append(m.b, '"')
		if i+2 >= len(labels) {
			m.b = append(m.b, '}')
		}
	}
	m.b = append(m.b, ' ')
	m.b = append(m.b, value...)
	m.b = append(m.b, '\n')
	if len(m.b) > 32<<10 {
		m.flush()
	}
}

func (m *metricsWriter) flush() {
	if m.err == nil {
		_, m.err = m.w.Write(m.b)
	}
	m.b = m.b[:0]
}

// appendEscapedOM appends s escaped as OpenMetrics escapes help texts
// (backslash, newline) and label values (the double quote too).
func appendEscapedOM(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

func itoaU(v uint64) string { return strconv.FormatUint(v, 10) }

// byCount returns the keys of m, the largest count first, then by name,
// as text stats lists them.
func byCount(m map[string]int) []string {
	return slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
}

// writeOpenMetrics writes the flow summary s, unless only counters were
// read, and the kernel's counters cs, in the OpenMetrics text format.
func writeOpenMetrics(w io.Writer, s *stats, cs *counterSet) error {
	m := &metricsWriter{w: w}
	if !s.noFlows {
		m.family("ctconv_flows", "gauge", "Flows in the connection-tracking table.", "")
		m.sample("ctconv_flows", strconv.Itoa(s.Flows))
		type group struct {
			name, label, help string
			counts            map[string]int
		}
		groups := []group{
			{"ctconv_flows_by_family", "family", "Flows by address family.", s.Families},
			{"ctconv_flows_by_protocol", "protocol", "Flows by layer-4 protocol.", s.Protocols},
			{"ctconv_flows_by_zone", "zone", "Flows by conntrack zone.", s.Zones},
			{"ctconv_flows_by_flag", "flag", "Flows that are assured, unreplied, offloaded.", s.Flags},
		}
		if len(s.Namespaces) > 0 { // a capture of several (snapshot --all-netns)
			groups = append(groups, group{"ctconv_flows_by_netns", "netns", "Flows by network namespace.", s.Namespaces})
		}
		for _, g := range groups {
			m.family(g.name, "gauge", g.help, "")
			for _, k := range byCount(g.counts) {
				m.sample(g.name, strconv.Itoa(g.counts[k]), g.label, k)
			}
		}
		m.family("ctconv_flows_by_state", "gauge", "Flows by protocol state.", "")
		for _, k := range byCount(s.States) {
			proto, state, _ := strings.Cut(k, " ")
			m.sample("ctconv_flows_by_state", strconv.Itoa(s.States[k]), "protocol", proto, "state", state)
		}
		if s.Packets != nil {
			for _, c := range []struct {
				unit string
				d    *directions
			}{{"packets", s.Packets}, {"bytes", s.Bytes}} {
				name := "ctconv_flow_" + c.unit
				m.family(name, "gauge", "The "+c.unit+" the table's flows counted, by direction (nf_conntrack_acct).", c.unit)
				m.sample(name, itoaU(c.d.Orig), "direction", "original")
				m.sample(name, itoaU(c.d.Reply), "direction", "reply")
			}
		}
		if s.Table != nil {
			m.family("ctconv_table_max", "gauge", "The most flows the table holds (nf_conntrack_max).", "")
			m.sample("ctconv_table_max", strconv.Itoa(s.Table.Max))
			m.family("ctconv_table_usage_ratio", "gauge", "How full the table is: flows over nf_conntrack_max.", "ratio")
			m.sample("ctconv_table_usage_ratio", strconv.FormatFloat(s.Table.Share, 'g', -1, 64))
		}
	}
	t := cs.totals()
	for st := range t.All() {
		name := "ctconv_conntrack_" + st.String()
		if tableWide(st) {
			help := "Entries in the table (conntrack -C)."
			if st == format.StatMaxEntries {
				help = "The most entries the table holds (nf_conntrack_max)."
			}
			v, _ := t.Value(st)
			m.family(name, "gauge", help, "")
			m.sample(name, itoaU(v))
			continue
		}
		m.family(name, "counter", "The kernel's "+st.String()+" counter: "+statHelp[st], "")
		if v, ok := cs.table.Value(st); ok && !cs.perCPU(st) {
			m.sample(name+"_total", itoaU(v))
		}
		for _, cpu := range cs.cpus {
			if v, ok := cs.byCPU[cpu].Value(st); ok {
				m.sample(name+"_total", itoaU(v), "cpu", strconv.Itoa(cpu))
			}
		}
	}
	m.b = append(m.b, "# EOF\n"...)
	m.flush()
	return m.err
}
